//! The Raspberry Pi backend (`kiosk` feature): the header's pins through rppal. Inputs use the
//! internal pull-up (a switch to ground) unless the map says they are active high, in which case
//! they use the pull-down; outputs start inactive. Levels are logical (`true` = active).

use rppal::gpio::{Gpio, InputPin, OutputPin};

use super::{GpioBackend, GpioError, InputLine, OutputLine, PinMap};

pub struct RppalGpio {
    inputs: Vec<InputPin>,
    outputs: Vec<OutputPin>,
    active_low: bool,
    model: String,
}

fn pin_error(pin: u8, err: &rppal::gpio::Error) -> GpioError {
    GpioError::Pin {
        pin,
        reason: format!("{err} (is it used by another program or an overlay?)"),
    }
}

impl RppalGpio {
    /// Opens the board and claims the pins of `map`.
    pub fn open(map: &PinMap) -> Result<Self, GpioError> {
        map.validate().map_err(GpioError::Open)?;
        let gpio = Gpio::new().map_err(|err| {
            GpioError::Open(format!(
                "{err}: is this a Raspberry Pi, and may this user open /dev/gpiomem (group gpio)?"
            ))
        })?;
        let mut inputs = Vec::new();
        for line in InputLine::ALL {
            let number = map.input_pin(line);
            let pin = gpio.get(number).map_err(|err| pin_error(number, &err))?;
            inputs.push(if map.inputs_active_low {
                pin.into_input_pullup()
            } else {
                pin.into_input_pulldown()
            });
        }
        let mut outputs = Vec::new();
        for line in OutputLine::ALL {
            let number = map.output_pin(line);
            let pin = gpio.get(number).map_err(|err| pin_error(number, &err))?;
            outputs.push(pin.into_output_low());
        }
        let model = rppal::system::DeviceInfo::new()
            .map(|info| info.model().to_string())
            .unwrap_or_else(|_| "Raspberry Pi".to_owned());
        Ok(Self {
            inputs,
            outputs,
            active_low: map.inputs_active_low,
            model,
        })
    }
}

impl GpioBackend for RppalGpio {
    fn describe(&self) -> String {
        format!("{} GPIO header (rppal)", self.model)
    }

    fn read(&mut self, line: InputLine) -> Result<bool, GpioError> {
        let high = self.inputs[line.index()].is_high();
        Ok(high != self.active_low)
    }

    fn write(&mut self, line: OutputLine, active: bool) -> Result<(), GpioError> {
        let pin = &mut self.outputs[line.index()];
        if active {
            pin.set_high();
        } else {
            pin.set_low();
        }
        Ok(())
    }
}
