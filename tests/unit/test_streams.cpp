// Random streams keyed by a declared subset of the parameters: parameter sets that differ only in
// ignored parameters share the stream (the same bits), a kept parameter changes it; undeclared
// purposes keep the task key; a purpose that keeps nothing uses the base key. And every registered
// experiment's declarations fit its schema.
#include <catch2/catch.hpp>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/grid/task_table.hpp"
#include "test_schema.hpp"

using namespace nnsweep;
using experiments::StreamKeys;
using rng::Purpose;

namespace {

config::ParamSet params(std::initializer_list<std::pair<const char*, const char*>> settings) {
  const auto& schema = test_schema();
  std::vector<config::Value> values;
  for (const auto& spec : schema.params())
    values.push_back(config::parse_value(spec, spec.default_value));
  for (const auto& [name, text] : settings)
    values[schema.index(name)] = config::parse_value(schema[schema.index(name)], text);
  return config::ParamSet(schema, values);
}

// The first 8 numbers of a stream.
std::vector<std::uint32_t> bits(rng::Stream stream) {
  std::vector<std::uint32_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(stream.next_u32());
  return out;
}

const StreamKeys keys = StreamKeys()
                            .ignore(Purpose::init, {"lr", "depth"})
                            .only(Purpose::data, {"seed", "width"})
                            .only(Purpose::test_data, {})
                            .base(42);

experiments::Replica replica(const config::ParamSet& p) {
  return experiments::make_replica("toy", keys, 9, p);
}

}  // namespace

TEST_CASE("streams keyed by the kept parameters only", "[streams]") {
  const auto a = replica(params({{"lr", "0.1"}, {"seed", "3"}}));
  const auto b = replica(params({{"lr", "0.7"}, {"depth", "9"}, {"seed", "3"}}));   // ignored only
  const auto c = replica(params({{"lr", "0.1"}, {"width", "64"}, {"seed", "3"}}));  // kept: width
  const auto d = replica(params({{"lr", "0.1"}, {"seed", "4"}}));                   // kept: seed
  CHECK(a.task_key != b.task_key);
  CHECK(bits(a.stream(Purpose::init, 0)) == bits(b.stream(Purpose::init, 0)));
  CHECK(bits(a.stream(Purpose::init, 0)) != bits(c.stream(Purpose::init, 0)));
  CHECK(bits(a.stream(Purpose::init, 0)) != bits(d.stream(Purpose::init, 0)));
  CHECK(bits(a.stream(Purpose::init, 0)) != bits(a.stream(Purpose::init, 1)));  // the index
  // data keeps seed and width: lr, depth and activation do not matter.
  CHECK(a.key(Purpose::data) == b.key(Purpose::data));
  CHECK(a.key(Purpose::data) ==
        replica(params({{"activation", "tanh"}, {"seed", "3"}})).key(Purpose::data));
  CHECK(a.key(Purpose::data) != c.key(Purpose::data));
  CHECK(a.key(Purpose::data) != d.key(Purpose::data));
  CHECK(a.key(Purpose::data) == grid::hash64("experiment=toy;width=32;seed=3;"));
  // A purpose that keeps nothing: the base key.
  CHECK(a.key(Purpose::test_data) == 42);
  CHECK(d.key(Purpose::test_data) == 42);
  // Undeclared purposes: the task key (every parameter), as before stream keys existed.
  CHECK(a.key(Purpose::batch_order) == a.task_key);
  CHECK(a.task_key == grid::task_key("toy", params({{"lr", "0.1"}, {"seed", "3"}})));
  CHECK(a.key(Purpose::batch_order) != b.key(Purpose::batch_order));
  // A declaration that keeps every parameter is the task key too.
  const auto all = experiments::make_replica("toy", StreamKeys().ignore(Purpose::init, {}), 9,
                                             params({{"seed", "3"}}));
  CHECK(all.key(Purpose::init) == all.task_key);
  // Without a base key, a purpose that keeps nothing hashes the experiment's name.
  const auto bare = experiments::make_replica("toy", StreamKeys().only(Purpose::init, {}), 9,
                                              params({{"seed", "3"}}));
  CHECK(bare.key(Purpose::init) == grid::hash64("experiment=toy;"));
}

TEST_CASE("stream keys and replicates must name parameters", "[streams]") {
  CHECK_THROWS_AS(StreamKeys().ignore(Purpose::init, {"learning_rate"}).check(test_schema()),
                  error);
  CHECK_THROWS_AS(
      StreamKeys().only(Purpose::init, {}).only(Purpose::init, {"lr"}).check(test_schema()), error);
  CHECK_NOTHROW(keys.check(test_schema()));
  for (const auto* e : experiments::all()) {
    INFO(e->name());
    CHECK_NOTHROW(experiments::check_declarations(*e));
  }
}
