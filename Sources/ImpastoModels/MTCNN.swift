import ImpastoNN
import ImpastoTensor

// MTCNN: Zhang, Zhang, Li & Qiao, "Joint Face Detection and Alignment using Multi-task Cascaded
// Convolutional Networks", IEEE SPL 2016 (arXiv:1604.02878).
//
// Weights: facenet-pytorch 2.6.0 (PyPI wheel), `facenet_pytorch/data/{pnet,rnet,onet}.pt`, PyTorch's legacy
// (pre-zip) checkpoint format; parameter names are the modules' attribute names below (`conv1.weight`, …).
// SHA-256 prefixes are checked by scripts/fetch-test-weights.sh.
//
// Input: RGB, NCHW, (pixel − 127.5) / 128 with pixels in 0…255 (facenet-pytorch's normalisation inside
// `detect_face`). P-Net takes any size ≥ 12×12; R-Net 24×24 crops; O-Net 48×48 crops.

/// The proposal network: fully convolutional, one 12×12 window per output position.
public final class PNet: Module {
    let conv1 = Conv2d(inputChannels: 3, outputChannels: 10, kernelSize: 3)
    let prelu1 = PReLU(count: 10)
    let pool1 = MaxPool2d(kernelSize: 2, stride: 2, ceilMode: true)
    let conv2 = Conv2d(inputChannels: 10, outputChannels: 16, kernelSize: 3)
    let prelu2 = PReLU(count: 16)
    let conv3 = Conv2d(inputChannels: 16, outputChannels: 32, kernelSize: 3)
    let prelu3 = PReLU(count: 32)
    let conv4_1 = Conv2d(inputChannels: 32, outputChannels: 2, kernelSize: 1)
    let conv4_2 = Conv2d(inputChannels: 32, outputChannels: 4, kernelSize: 1)

    override public init() {}

    /// Box regression offsets [N, 4, h, w] and face / not-face probabilities [N, 2, h, w] (channel 1 = face).
    public func callAsFunction(_ input: Tensor) -> (boxes: Tensor, probabilities: Tensor) {
        let features = prelu3(conv3(prelu2(conv2(pool1(prelu1(conv1(input)))))))
        return (conv4_2(features), softmax(conv4_1(features), axis: 1))
    }
}

/// The refinement network: scores and adjusts 24×24 candidate crops.
public final class RNet: Module {
    let conv1 = Conv2d(inputChannels: 3, outputChannels: 28, kernelSize: 3)
    let prelu1 = PReLU(count: 28)
    let pool1 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    let conv2 = Conv2d(inputChannels: 28, outputChannels: 48, kernelSize: 3)
    let prelu2 = PReLU(count: 48)
    let pool2 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    let conv3 = Conv2d(inputChannels: 48, outputChannels: 64, kernelSize: 2)
    let prelu3 = PReLU(count: 64)
    let dense4 = Linear(inputFeatures: 576, outputFeatures: 128)
    let prelu4 = PReLU(count: 128)
    let dense5_1 = Linear(inputFeatures: 128, outputFeatures: 2)
    let dense5_2 = Linear(inputFeatures: 128, outputFeatures: 4)

    override public init() {}

    /// Box regression offsets [N, 4] and probabilities [N, 2] for a batch of 24×24 crops.
    public func callAsFunction(_ input: Tensor) -> (boxes: Tensor, probabilities: Tensor) {
        let features = prelu3(conv3(pool2(prelu2(conv2(pool1(prelu1(conv1(input))))))))
        // The dense layer was trained (in Caffe) on features flattened in W, H, C order.
        let flat = prelu4(dense4(features.permuted([0, 3, 2, 1]).flattened()))
        return (dense5_2(flat), softmax(dense5_1(flat), axis: 1))
    }
}

/// The output network: final scores, boxes and five facial landmarks for 48×48 crops.
public final class ONet: Module {
    let conv1 = Conv2d(inputChannels: 3, outputChannels: 32, kernelSize: 3)
    let prelu1 = PReLU(count: 32)
    let pool1 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    let conv2 = Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3)
    let prelu2 = PReLU(count: 64)
    let pool2 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    let conv3 = Conv2d(inputChannels: 64, outputChannels: 64, kernelSize: 3)
    let prelu3 = PReLU(count: 64)
    let pool3 = MaxPool2d(kernelSize: 2, stride: 2, ceilMode: true)
    let conv4 = Conv2d(inputChannels: 64, outputChannels: 128, kernelSize: 2)
    let prelu4 = PReLU(count: 128)
    let dense5 = Linear(inputFeatures: 1152, outputFeatures: 256)
    let prelu5 = PReLU(count: 256)
    let dense6_1 = Linear(inputFeatures: 256, outputFeatures: 2)
    let dense6_2 = Linear(inputFeatures: 256, outputFeatures: 4)
    let dense6_3 = Linear(inputFeatures: 256, outputFeatures: 10)

    override public init() {}

    /// Box offsets [N, 4], landmarks [N, 10] (five x then five y, relative to the crop) and probabilities [N, 2].
    public func callAsFunction(_ input: Tensor) -> (boxes: Tensor, landmarks: Tensor, probabilities: Tensor) {
        let x = pool2(prelu2(conv2(pool1(prelu1(conv1(input))))))
        let features = prelu4(conv4(pool3(prelu3(conv3(x)))))
        let flat = prelu5(dense5(features.permuted([0, 3, 2, 1]).flattened()))
        return (dense6_2(flat), dense6_3(flat), softmax(dense6_1(flat), axis: 1))
    }
}
