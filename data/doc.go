// Package data reads the image datasets used by RobustDARTS, augments them
// as the reference does, and serves deterministic mini-batches.
//
// # Datasets
//
// Load reads a dataset from its own distribution format: CIFAR-10 and
// CIFAR-100 binary records, SVHN cropped-digit MATLAB Level-5 files
// (uncompressed or zlib-compressed elements), and MNIST / Fashion-MNIST idx
// files (plain or gzip). Every image is stored as uint8, image-major, and
// within an image channel-planar and row-major (CHW). Labels are class
// indices in [0, Classes); SVHN's label 10 becomes digit 0, CIFAR-100 uses
// the fine label. Training order is the file order (CIFAR-10 batches 1..5),
// which the search split relies on.
//
// Grey datasets (mnist, fashion-mnist) keep one channel at their native
// 28×28: the network takes any input size and channel count, and random crop
// pads by 4 and crops back to 28. They are not resized or replicated to RGB.
//
// Malformed input gives one error naming the file and what is wrong; the
// readers never panic, whatever the bytes (fuzzed from parseXxx cores).
//
// # Normalisation
//
// NormFor gives the per-channel mean and std applied after scaling pixels to
// [0,1]. CIFAR-10, CIFAR-100 and SVHN use the reference implementation's
// constants (docs/method.md, Datasets). Fashion-MNIST uses mean 0.28604060 and std 0.35302424, computed here
// over the 60 000 training images (population std, as numpy's default).
// MNIST uses the customary 0.1307 / 0.3081 (its training-set statistics,
// not recomputed here because the files are not installed).
//
// # Transforms
//
// A Transform writes one image into a caller-owned []float32 of C*H*W values
// without allocating. Eval is to-[0,1] plus normalise; Train is the
// reference's random crop with zero padding of the raw image, horizontal
// flip, normalise and optional cutout after normalisation.
//
// # Augmentation per dataset
//
// TrainTransform(name, cutout) builds a dataset's training transform from
// AugmentFor(name) and NormFor(name); search and retraining use the same.
//
//	dataset        crop (zero pad, back to H×W)  horizontal flip  cutout (16 px, p = 1)
//	cifar10        pad 4, 32×32                  yes              if asked
//	cifar100       pad 4, 32×32                  yes              if asked
//	svhn           pad 4, 32×32                  yes              if asked
//	fashion-mnist  pad 4, 28×28                  yes              if asked
//	mnist          pad 4, 28×28                  no               if asked
//
// The colour datasets follow the reference. Fashion-MNIST's garments keep
// their class in a mirror, so it flips like CIFAR. MNIST does not flip: a
// mirrored 2, 3, 4, 5, 7 or 9 is no digit, and training on them teaches the
// network shapes the test set never shows.
//
// # Randomness and resume
//
// Every random choice is a pure function of (seed, purpose, stream, epoch,
// step or position): a PCG generator is seeded from a hash of those words
// each time it is needed, and no generator state lives across batches. A run
// restarted at any epoch (or step) with the same configuration gets
// bit-identical batches without saving RNG state. Augmentation randomness is
// keyed by an image's position in the epoch, so it does not depend on the
// batch size or on whether batches are prefetched.
//
// # Batches and ownership
//
// A Source (an Epoch pass or the Draws used for α steps) fills batches by
// step number. Iterate runs a Source synchronously or, with prefetch > 0, in
// a background goroutine; both give identical batches. A *Batch returned by
// Iter.Next is owned by the iterator and valid only until the next call to
// Next or Close; copy it to keep it. Datasets are never modified.
package data
