// Throughput of the `correlations` samplers on one core: networks per second of the exact chain
// and the full network at (n, L) = (32, 4), (256, 16), (1024, 8), relu and tanh, float and
// double; the full network's FMA GFLOP/s against the measured FMA peak; and the generator
// choice (xoshiro vs a lane-vectorized Philox). Medians of repeated runs; `RESULT` lines are
// what bench/run_correlations.sh joins with the PyTorch peer.
#include <Random123/philox.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fma_peak.hpp"
#include "nnsweep/experiments/correlations.hpp"
#include "nnsweep/rng/simd.hpp"

using namespace nnsweep;
namespace corr = experiments::correlations;

namespace {

struct Options {
  int repeats = 5;
  double min_seconds = 0.3;
  std::vector<std::pair<int, int>> sizes = {{32, 4}, {256, 16}, {1024, 8}};
};

// The machine is shared: the thread's CPU time (time actually running,
// bench::thread_cpu_seconds) is the primary clock, wall time is reported beside it.
// bench/torch_correlations.py measures the same way.
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct Rate {
  double cpu = 0, wall = 0;  // units per second, medians over repeats
};

// Each repeat calls `step` (which returns the units it did) until min_seconds of CPU time have
// passed; medians over repeats of units per second.
template <typename Step>
Rate median_rate(const Options& o, Step&& step) {
  step();  // warm-up: page in buffers, settle the clock
  std::vector<double> cpu, wall;
  for (int r = 0; r < o.repeats; ++r) {
    double units = 0;
    const double cpu0 = bench::thread_cpu_seconds(), wall0 = wall_now();
    do units += step();
    while (bench::thread_cpu_seconds() - cpu0 < o.min_seconds);
    cpu.push_back(units / (bench::thread_cpu_seconds() - cpu0));
    wall.push_back(units / (wall_now() - wall0));
  }
  return {median(cpu), median(wall)};
}

// ---------------------------------------------------------------------------------------------
// Generators: uniforms per second from xoshiro (rng::LaneGenerator) and from Philox4x32-10
// written lane-parallel in the same style, and normals per second (Box–Muller) of the former.

// Philox4x32-10 for Lanes counters at once (the Random123 round in plain arithmetic, so that GCC
// vectorizes it across lanes with 32×32→64-bit multiplies).
template <int Lanes>
struct LanePhilox {
  std::uint32_t counter[4][Lanes] = {}, key[2][Lanes] = {};
  void block(std::uint32_t* out) {
    for (int l = 0; l < Lanes; ++l) {
      std::uint32_t c0 = counter[0][l], c1 = counter[1][l], c2 = counter[2][l], c3 = counter[3][l];
      std::uint32_t k0 = key[0][l], k1 = key[1][l];
      for (int round = 0; round < 10; ++round) {
        const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0,
                            p1 = std::uint64_t{0xCD9E8D57u} * c2;
        const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
        const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
        c1 = static_cast<std::uint32_t>(p1);
        c3 = static_cast<std::uint32_t>(p0);
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      out[0 * Lanes + l] = c0;
      out[1 * Lanes + l] = c1;
      out[2 * Lanes + l] = c2;
      out[3 * Lanes + l] = c3;
      ++counter[0][l];
    }
  }
};

struct NormalRates {
  double single = 0, dual = 0;  // normals per CPU second, float and double
};

NormalRates bench_generators(const Options& o) {
  constexpr int lanes = rng::block_lanes<float>, dlanes = rng::block_lanes<double>;
  // Check the lane Philox against Random123 before timing it.
  LanePhilox<lanes> philox;
  for (int l = 0; l < lanes; ++l) {
    philox.counter[2][l] = static_cast<std::uint32_t>(l);
    philox.key[0][l] = 0x1234u;
  }
  std::uint32_t words[4 * lanes];
  philox.block(words);
  const auto reference = r123::Philox4x32()({{0, 0, 5, 0}}, {{0x1234u, 0}});
  const bool philox_ok =
      words[0 * lanes + 5] == reference.v[0] && words[3 * lanes + 5] == reference.v[3];

  std::vector<float> buffer(256 * lanes);
  std::vector<double> dbuffer(256 * dlanes);
  rng::LaneGenerator<float, lanes> xf;
  rng::LaneGenerator<double, dlanes> xd;
  for (int l = 0; l < lanes; ++l)
    xf.seed(l, rng::Stream(1, 2, static_cast<std::uint64_t>(l), rng::Purpose::generator_seed));
  for (int l = 0; l < dlanes; ++l)
    xd.seed(l, rng::Stream(1, 2, static_cast<std::uint64_t>(l), rng::Purpose::generator_seed));
  const Rate xoshiro = median_rate(o, [&] {
    for (int i = 0; i < 64; ++i) xf.uniforms(buffer.data(), 256);
    return 64.0 * 256 * lanes;
  });
  const Rate lane_philox = median_rate(o, [&] {
    for (int i = 0; i < 64; ++i)
      for (std::size_t b = 0; b < 64; ++b) {
        philox.block(words);
        for (std::size_t j = 0; j < 4 * lanes; ++j)
          buffer[b * 4 * lanes + j] = rng::detail::Xoshiro<float>::unit(words[j]);
      }
    return 64.0 * 256 * lanes;
  });
  const Rate single = median_rate(o, [&] {
    for (int i = 0; i < 64; ++i) xf.normals(buffer.data(), 256);
    return 64.0 * 256 * lanes;
  });
  const Rate dual = median_rate(o, [&] {
    for (int i = 0; i < 64; ++i) xd.normals(dbuffer.data(), 256);
    return 64.0 * 256 * dlanes;
  });
  std::printf("\n== generators (one core; per CPU second, wall in brackets) ==\n");
  std::printf(
      "uniform floats/s: xoshiro128+ %.3g [%.3g], lane-vectorized Philox4x32-10 %.3g [%.3g] (%s "
      "Random123): "
      "xoshiro %.1fx faster\n",
      xoshiro.cpu, xoshiro.wall, lane_philox.cpu, lane_philox.wall,
      philox_ok ? "matches" : "DOES NOT MATCH", xoshiro.cpu / lane_philox.cpu);
  std::printf("normals/s (Box-Muller on xoshiro): float %.3g [%.3g], double %.3g [%.3g]\n",
              single.cpu, single.wall, dual.cpu, dual.wall);
  std::printf("RESULT\tnnsweep\tnormals\t-\tfloat\t-\t-\t%.6g\t%.6g\n", single.cpu, single.wall);
  std::printf("RESULT\tnnsweep\tnormals\t-\tdouble\t-\t-\t%.6g\t%.6g\n", dual.cpu, dual.wall);
  return {single.cpu, dual.cpu};
}

// ---------------------------------------------------------------------------------------------
// Samplers.

corr::Problem problem(const std::string& sampler, const char* activation, int n, int depth,
                      bool single) {
  corr::Problem p;
  p.activation = nn::parse_activation(activation);
  p.widths.assign(static_cast<std::size_t>(depth), n);
  p.cw = p.activation.kind == nn::ActivationKind::relu ? 2 : 1;
  p.sampler = sampler == "full_network" ? corr::Sampler::full_network : corr::Sampler::exact_chain;
  p.collapse = sampler != "exact_chain_generic";
  p.single_precision = single;
  return p;
}

template <typename T>
Rate sampler_rate(const Options& o, const corr::Problem& p) {
  // A pack of many networks per call for the chain; about 2·10⁶ weights per call for the network.
  const bool net = p.sampler == corr::Sampler::full_network;
  const double weights = static_cast<double>(p.widths[0]) * static_cast<double>(p.widths[0]) *
                         static_cast<double>(p.widths.size());
  const std::size_t lanes = rng::block_lanes<T>;
  const std::size_t count =
      net ? std::max<std::size_t>(lanes, static_cast<std::size_t>(2e6 / weights) / lanes * lanes)
          : 64 * lanes;
  std::vector<double> obs(count * corr::observable_count);
  const experiments::Replica replica{1, 2, 0, {}};
  std::int64_t first = 0;
  return median_rate(o, [&] {
    net ? corr::sample_network<T>(p, replica, first, count, obs.data())
        : corr::sample_chain<T>(p, replica, first, count, obs.data());
    first += static_cast<std::int64_t>(count);
    return static_cast<double>(count);
  });
}

// Weights (= normals) and FMA flops per full network: every hidden weight multiplies k = 1 + n0
// rows (value and n0 derivatives), every output weight one.
struct NetworkWork {
  double normals = 0, flops = 0;
};
NetworkWork network_work(const corr::Problem& p) {
  NetworkWork w;
  const auto k = static_cast<double>(1 + p.n0);
  auto n_in = static_cast<double>(p.n0);
  for (const auto n : p.widths) {
    w.normals += static_cast<double>(n) * n_in;
    w.flops += 2 * k * static_cast<double>(n) * n_in;
    n_in = static_cast<double>(n);
  }
  w.normals += static_cast<double>(p.n_out) * n_in;
  w.flops += 2 * static_cast<double>(p.n_out) * n_in;
  return w;
}

void bench_samplers(const Options& o, const bench::FmaPeak& peak, const NormalRates& normals) {
  std::printf(
      "\n== samplers: networks per CPU second (wall in brackets), median of %d; n0 = 4, n_out = 1, "
      "C_b = 0, critical C_W ==\n",
      o.repeats);
  // Full network: GFLOP/s counts 2 per FMA of the forward and derivative passes over the whole
  // run; "FMA phase" divides by the run time minus the time the generator alone needs for the
  // same normals (measured above), i.e. the arithmetic's own rate.
  std::printf("%-20s %-5s %-6s %5s %3s %11s %11s %10s %8s %6s %10s %6s\n", "sampler", "act", "prec",
              "n", "L", "networks/s", "[wall]", "normals/s", "GFLOP/s", "%peak", "FMA-phase",
              "%peak");
  for (const auto& [n, depth] : o.sizes)
    for (const char* activation : {"relu", "tanh"})
      for (const bool single : {true, false}) {
        std::vector<std::string> samplers = {"exact_chain", "full_network"};
        if (std::string(activation) == "relu")
          samplers.insert(samplers.begin() + 1, "exact_chain_generic");
        for (const std::string& sampler : samplers) {
          const corr::Problem p = problem(sampler, activation, n, depth, single);
          const Rate rate = single ? sampler_rate<float>(o, p) : sampler_rate<double>(o, p);
          const char* precision = single ? "float" : "double";
          std::printf("%-20s %-5s %-6s %5d %3d %11.4g %11.4g", sampler.c_str(), activation,
                      precision, n, depth, rate.cpu, rate.wall);
          if (p.sampler == corr::Sampler::full_network) {
            const NetworkWork w = network_work(p);
            const double gflops = w.flops * rate.cpu / 1e9,
                         top = single ? peak.float_gflops : peak.double_gflops;
            const double fma_seconds =
                1 / rate.cpu - w.normals / (single ? normals.single : normals.dual);
            const double phase = fma_seconds > 0 ? w.flops / fma_seconds / 1e9 : 0;
            std::printf(" %10.3g %8.2f %5.1f%% %10.2f %5.1f%%", w.normals * rate.cpu, gflops,
                        100 * gflops / top, phase, 100 * phase / top);
          }
          std::printf("\n");
          std::printf("RESULT\tnnsweep\t%s\t%s\t%s\t%d\t%d\t%.6g\t%.6g\n", sampler.c_str(),
                      activation, precision, n, depth, rate.cpu, rate.wall);
          std::fflush(stdout);
        }
      }
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--repeats" && has_value) {
      o.repeats = std::atoi(argv[++i]);
    } else if (arg == "--min-seconds" && has_value) {
      o.min_seconds = std::atof(argv[++i]);
    } else if (arg == "--sizes" && has_value) {
      o.sizes.clear();
      const std::string list = argv[++i];
      for (std::size_t pos = 0; pos < list.size();) {
        const std::size_t end = std::min(list.find(',', pos), list.size());
        const std::string item = list.substr(pos, end - pos);
        o.sizes.emplace_back(std::atoi(item.c_str()), std::atoi(item.c_str() + item.find('x') + 1));
        pos = end + 1;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--repeats R] [--min-seconds S] [--sizes 32x4,256x16,...]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const bench::FmaPeak peak = bench::measure_fma_peak();
  std::printf(
      "== FMA peak (one core, %d float / %d double lanes, best of 5) ==\nfloat %.1f GFLOP/s   "
      "double %.1f GFLOP/s\n",
      peak.float_lanes, peak.double_lanes, peak.float_gflops, peak.double_gflops);
  std::printf(
      "RESULT\tnnsweep\tpeak\t-\tfloat\t-\t-\t%.6g\t\nRESULT\tnnsweep\tpeak\t-\tdouble\t-\t-\t%."
      "6g\t\n",
      peak.float_gflops, peak.double_gflops);
  const NormalRates normals = bench_generators(o);
  bench_samplers(o, peak, normals);
  return 0;
}
