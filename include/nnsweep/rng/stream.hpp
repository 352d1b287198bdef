#pragma once
// Counter-based random streams (Random123 Philox4x32-10). A stream is named by
// (sweep seed, stream key, replica, purpose), so a replica's numbers never depend on which rank
// runs it, how replicas are packed, or how often the sweep was interrupted. Never use
// std::normal_distribution: its output differs between standard libraries.
#include <Random123/philox.h>

#include <array>
#include <cstdint>
#include <cstring>

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

// 52 random bits → double in (0, 1); 23 bits → float in (0, 1): (m + ½)·2⁻⁵² and (m + ½)·2⁻²³
// for the top 52 or 23 bits m, exactly. One bit less than the mantissa: with all of it,
// (2^53 − 1) + 0.5 would round up to 2^53, i.e. exactly 1. Written so that a loop over lanes
// vectorizes (rng/simd uses these for its uniforms): the double as 1.m − 1 + 2⁻⁵³ through its
// bits, since AVX2 has no 64-bit integer → double conversion; the float as (2m + 1)·2⁻²⁴
// through int32, which AVX2 converts in one instruction.
inline double to_unit_double(std::uint64_t bits) {
  const std::uint64_t one_m = (bits >> 12) | std::uint64_t{0x3ff0000000000000};
  double x;
  std::memcpy(&x, &one_m, sizeof x);
  return (x - 1.0) + 0x1.0p-53;
}
inline float to_unit_float(std::uint32_t bits) {
  return static_cast<float>(static_cast<std::int32_t>((bits >> 8) | 1u)) * 0x1.0p-24f;
}

}  // namespace nnsweep::rng
