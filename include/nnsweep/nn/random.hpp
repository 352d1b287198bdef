#pragma once
// Random numbers the engine and its experiments draw per replica from counter-based streams
// (rng::Stream): standard normals (Box–Muller with core/fastmath, so the same bits on every
// machine and standard library) and unbiased shuffles.
#include <cstdint>

#include "nnsweep/rng/stream.hpp"

namespace nnsweep::nn {

// Standard normals from one stream, both values of each Box–Muller pair used in turn.
class NormalSampler {
 public:
  explicit NormalSampler(const rng::Stream& stream) : stream_(stream) {}
  double operator()();
  // A uniform in (0, 1) from the same stream (a pending Box–Muller spare stays pending).
  double uniform() { return stream_.uniform(); }

 private:
  rng::Stream stream_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// The same normals as NormalSampler on the same stream, made `block` at a time: the uniforms
// drawn in order, then Box–Muller over the block in a loop that vectorizes (core/fastmath: the
// same bits). The stream runs up to a block ahead of what was consumed, so use it only where
// nothing else draws from that stream (data sets).
class NormalBlockSampler {
 public:
  static constexpr int block = 256;  // normals per refill (an even number)
  explicit NormalBlockSampler(const rng::Stream& stream) : stream_(stream) {}
  double operator()() {
    if (next_ == block) refill();
    return values_[next_++];
  }

 private:
  void refill();
  rng::Stream stream_;
  double values_[block];
  int next_ = block;
};

// Uniform integer in [0, n), n >= 1, unbiased (Lemire's multiply-shift with rejection).
std::uint32_t uniform_below(rng::Stream& stream, std::uint32_t n);

// Fisher–Yates shuffle of order[0..n) (n < 2^32) with uniform_below.
void shuffle(std::int32_t* order, std::int64_t n, rng::Stream& stream);

}  // namespace nnsweep::nn
