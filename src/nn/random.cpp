#include "nnsweep/nn/random.hpp"

#include <cmath>
#include <utility>

#include "nnsweep/core/fastmath.hpp"

namespace nnsweep::nn {

double NormalSampler::operator()() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = stream_.uniform(), u2 = stream_.uniform();  // both in (0, 1)
  const double r = std::sqrt(-2.0 * fastmath::log(u1));
  double s, c;
  fastmath::sincos_2pi(u2, s, c);
  spare_ = r * s;
  has_spare_ = true;
  return r * c;
}

void NormalBlockSampler::refill() {
  constexpr int pairs = block / 2;
  double u1[pairs], u2[pairs];
  for (int i = 0; i < pairs; ++i) {
    u1[i] = stream_.uniform();
    u2[i] = stream_.uniform();
  }
  for (int i = 0; i < pairs; ++i) {  // NormalSampler's pair: r·cos first, then r·sin
    const double r = std::sqrt(-2.0 * fastmath::log(u1[i]));
    double s, c;
    fastmath::sincos_2pi(u2[i], s, c);
    values_[2 * i] = r * c;
    values_[2 * i + 1] = r * s;
  }
  next_ = 0;
}

std::uint32_t uniform_below(rng::Stream& stream, std::uint32_t n) {
  std::uint64_t m = static_cast<std::uint64_t>(stream.next_u32()) * n;
  auto low = static_cast<std::uint32_t>(m);
  if (low < n) {
    const std::uint32_t threshold = (0u - n) % n;  // 2^32 mod n
    while (low < threshold) {
      m = static_cast<std::uint64_t>(stream.next_u32()) * n;
      low = static_cast<std::uint32_t>(m);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

void shuffle(std::int32_t* order, std::int64_t n, rng::Stream& stream) {
  for (std::int64_t i = n - 1; i > 0; --i) {
    const std::uint32_t j = uniform_below(stream, static_cast<std::uint32_t>(i + 1));
    std::swap(order[i], order[j]);
  }
}

}  // namespace nnsweep::nn
