"""PoreNet: a small U-Net that marks pore pixels in a grey image of a machined face.

Sized for the station's cycle (a 1280x720 frame on one core in about 100 ms on tract): the
context (what is surface texture, what is a pit) gathered at 1/2, 1/4 and 1/8 scale, skips at
each scale, and space-to-depth at both ends so 2 px pores and exact edges survive without any
layer at full resolution. Input: 1x1xHxW, grey scaled to [0,1] then standardised per image (see the card);
H and W multiples of 8. Output: 1x1xHxW probability that the pixel belongs to a pore.
"""

import torch
from torch import nn


def block(c_in, c_out, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class PoreNet(nn.Module):
    def __init__(self, c2=12, c4=24, c8=32):
        super().__init__()
        # Space-to-depth: a 2x2 block of pixels becomes 4 channels, so no layer runs at full
        # resolution, yet nothing is lost (depth-to-space at the end gives full-resolution output).
        self.unshuffle = nn.PixelUnshuffle(2)
        self.enc2 = nn.Sequential(block(4, c2), block(c2, c2))  # 1/2
        self.enc4 = nn.Sequential(block(c2, c4, stride=2), block(c4, c4))  # 1/4
        # 1/8 with dilations: a receptive field wide enough for a 3 mm pore at 0.02 mm/px.
        self.enc8 = nn.Sequential(
            block(c4, c8, stride=2), block(c8, c8, dilation=2), block(c8, c8, dilation=4)
        )
        # Sub-pixel upsampling (a 1x1 convolution, then depth-to-space): on tract it costs less
        # than a transposed convolution (`qcstation bench inspect --model`, see the card).
        self.up8 = nn.Sequential(nn.Conv2d(c8, 4 * c4, 1), nn.PixelShuffle(2))
        self.dec4 = block(c4, c4)
        self.up4 = nn.Sequential(nn.Conv2d(c4, 4 * c2, 1), nn.PixelShuffle(2))
        self.dec2 = block(c2, c2)
        self.head = nn.Conv2d(c2, 4, 1)
        self.shuffle = nn.PixelShuffle(2)

    def logits(self, x):
        f2 = self.enc2(self.unshuffle(x))
        f4 = self.enc4(f2)
        f8 = self.enc8(f4)
        d4 = self.dec4(self.up8(f8) + f4)
        d2 = self.dec2(self.up4(d4) + f2)
        return self.shuffle(self.head(d2))

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def export(model, path, height=720, width=1280):
    model.eval()
    dummy = torch.zeros(1, 1, height, width)
    torch.onnx.export(
        model,
        dummy,
        path,
        input_names=["image"],
        output_names=["pore"],
        dynamic_axes={"image": {2: "height", 3: "width"}, "pore": {2: "height", 3: "width"}},
        opset_version=17,
        dynamo=False,
    )


if __name__ == "__main__":
    import sys

    torch.manual_seed(0)
    net = PoreNet()
    print(sum(p.numel() for p in net.parameters()), "parameters")
    export(net, sys.argv[1] if len(sys.argv) > 1 else "/tmp/porenet-random.onnx")
