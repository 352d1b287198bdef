#include "nnsweep/rng/stream.hpp"

namespace nnsweep::rng {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Stream::Stream(std::uint64_t sweep_seed, std::uint64_t stream_key, std::uint64_t replica,
               Purpose purpose) {
  // Philox4x32 has a 64-bit key: fold (sweep seed, stream key) into it; the replica and the
  // purpose take the high half of the 128-bit counter, the block index the low half.
  const std::uint64_t key = splitmix64(sweep_seed ^ splitmix64(stream_key));
  key_ = {{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)}};
  const std::uint64_t high = (replica << 8) ^ static_cast<std::uint64_t>(purpose);
  counter_ = {{0, 0, static_cast<std::uint32_t>(high), static_cast<std::uint32_t>(high >> 32)}};
}

std::array<std::uint32_t, 4> Stream::block(std::uint64_t index) const {
  Philox::ctr_type counter = counter_;
  counter.v[0] = static_cast<std::uint32_t>(index);
  counter.v[1] = static_cast<std::uint32_t>(index >> 32);
  const auto out = Philox()(counter, key_);
  return {out.v[0], out.v[1], out.v[2], out.v[3]};
}

std::uint32_t Stream::next_u32() {
  if (used_ == 4) {
    buffer_ = block(next_block_++);
    used_ = 0;
  }
  return buffer_[used_++];
}

std::uint64_t Stream::next_u64() {
  const std::uint64_t low = next_u32();
  return low | (static_cast<std::uint64_t>(next_u32()) << 32);
}

double Stream::uniform() {
  return to_unit_double(next_u64());
}
float Stream::uniform_float() {
  return to_unit_float(next_u32());
}

std::uint64_t Stream::below(std::uint64_t n) {
  // Lemire's method would be faster; plain rejection keeps the stream consumption obvious.
  const std::uint64_t limit = n == 0 ? 0 : (~std::uint64_t{0} / n) * n;
  std::uint64_t x = 0;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

}  // namespace nnsweep::rng
