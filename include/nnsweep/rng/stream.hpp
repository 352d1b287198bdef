#pragma once
// Counter-based random streams (Random123 Philox4x32-10). A stream is named by
// (sweep seed, stream key, replica, purpose), so a replica's numbers never depend on which rank
// runs it, how replicas are packed, or how often the sweep was interrupted. Never use
// std::normal_distribution: its output differs between standard libraries.
#include <Random123/philox.h>

#include <array>
#include <cstdint>

namespace nnsweep::rng {

// Why numbers are drawn: separate streams for separate uses of one replica.
enum class Purpose : std::uint32_t {
  monte_carlo = 1,     // sampling random networks
  init = 2,            // initial weights
  data = 3,            // training data (and the teacher that labels it)
  batch_order = 4,     // mini-batch shuffling
  test_data = 5,       // held-out evaluation data
  noise = 6,           // label noise and other perturbations
  generator_seed = 7,  // seeds of the SIMD generators of rng/simd (one per replica lane)
};

std::uint64_t splitmix64(std::uint64_t x);

class Stream {
 public:
  Stream(std::uint64_t sweep_seed, std::uint64_t stream_key, std::uint64_t replica,
         Purpose purpose);

  // The 4×32 random bits of block `index` (random access; does not move the stream).
  std::array<std::uint32_t, 4> block(std::uint64_t index) const;

  std::uint32_t next_u32();
  std::uint64_t next_u64();
  // Uniform in the open interval (0, 1): never 0, so log() is always finite.
  double uniform();
  float uniform_float();
  // Uniform integer in [0, n), unbiased (rejection).
  std::uint64_t below(std::uint64_t n);

 private:
  using Philox = r123::Philox4x32;
  Philox::key_type key_{};
  Philox::ctr_type counter_{};
  std::uint64_t next_block_ = 0;
  std::array<std::uint32_t, 4> buffer_{};
  int used_ = 4;
};

// 52 random bits → double in (0, 1); 23 bits → float in (0, 1). One bit less than the mantissa:
// with all of it, (2^53 − 1) + 0.5 would round up to 2^53, i.e. exactly 1.
inline double to_unit_double(std::uint64_t bits) {
  return (static_cast<double>(bits >> 12) + 0.5) * 0x1.0p-52;
}
inline float to_unit_float(std::uint32_t bits) {
  return (static_cast<float>(bits >> 9) + 0.5f) * 0x1.0p-23f;
}

}  // namespace nnsweep::rng
