#include <catch2/catch.hpp>

#include "nnsweep/config/spec.hpp"
#include "nnsweep/core/error.hpp"
#include "test_schema.hpp"

using namespace nnsweep;
using namespace nnsweep::config;

namespace {
std::vector<std::string> texts(const std::vector<Value>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(format_value(v));
  return out;
}
std::vector<std::string> axis(const std::string& name, const std::string& expression) {
  const auto& schema = test_schema();
  return texts(parse_axis(schema[schema.index(name)], expression, "test"));
}
std::string error_of(const std::string& text, std::vector<std::string> overrides = {}) {
  try {
    resolve(read_spec_text(text, "t.ini", overrides), test_schema());
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("axis expressions expand to the documented values", "[config]") {
  using V = std::vector<std::string>;
  CHECK(axis("width", "16,32,64") == V{"16", "32", "64"});
  CHECK(axis("width", "1..4") == V{"1", "2", "3", "4"});
  CHECK(axis("depth", "10..100 step 30") == V{"10", "40", "70", "100"});
  CHECK(axis("width", "16..512 *2") == V{"16", "32", "64", "128", "256", "512"});
  CHECK(axis("width", "1..3, 8, 16..64 *4") == V{"1", "2", "3", "8", "16", "64"});
  CHECK(axis("lr", "linspace(0, 1, 5)") == V{"0", "0.25", "0.5", "0.75", "1"});
  CHECK(axis("lr", "logspace(1e-3, 1, 4)") == V{"0.001", "0.01", "0.1", "1"});
  CHECK(axis("lr", "0.1..0.3 step 0.1") == V{"0.1", "0.2", "0.3"});
  CHECK(axis("activation", "relu,tanh") == V{"relu", "tanh"});
  CHECK(axis("cw", "auto, 1.5") == V{"auto", "1.5"});
  CHECK(axis("widths", "32/64/32, auto") == V{"32/64/32", "auto"});
}

TEST_CASE("bad axis values name the key, the value and the fix", "[config]") {
  CHECK_THROWS_WITH(axis("width", "0"),
                    Catch::Contains("width = 0: out of range") && Catch::Contains("[1, 65536]"));
  CHECK_THROWS_WITH(axis("width", "abc"), Catch::Contains("not a whole number"));
  CHECK_THROWS_WITH(axis("depth", "8..1"),
                    Catch::Contains("empty range") && Catch::Contains("1..8"));
  CHECK_THROWS_WITH(axis("lr", "0..1"), Catch::Contains("step s"));
  CHECK_THROWS_WITH(axis("width", "3..100 *1.5"), Catch::Contains("not a whole number"));
  CHECK_THROWS_WITH(axis("activation", "tanhh"), Catch::Contains("did you mean 'tanh'"));
  CHECK_THROWS_WITH(axis("width", "16,,32"), Catch::Contains("empty item"));
  CHECK_THROWS_WITH(axis("lr", "auto"), Catch::Contains("not a number"));
  CHECK_THROWS_WITH(axis("widths", "32/x"), Catch::Contains("'x' is not a whole number"));
}

TEST_CASE("spec files resolve with defaults, overrides and zips", "[config]") {
  const std::string text =
      "experiment = demo\nsweep_seed = 7\nzip = depth+width\n[params]\n"
      "width = 32,64,128   # hold L/n fixed\ndepth = 2,4,8\nseed = 0..4\n";
  const auto spec =
      resolve(read_spec_text(text, "t.ini", {"lr=0.5", "sweep_seed=9"}), test_schema());
  CHECK(spec.experiment == "demo");
  CHECK(spec.sweep_seed == 9);
  const auto& schema = test_schema();
  CHECK(texts(spec.values[schema.index("lr")]) == std::vector<std::string>{"0.5"});
  CHECK(texts(spec.values[schema.index("activation")]) == std::vector<std::string>{"relu"});
  REQUIRE(spec.zips.size() == 1);
  // zipped (width, depth) is one axis of 3 points; seeds 5: 15 tasks.
  CHECK(spec.task_count(schema) == 15);
  const auto axes = spec.axes(schema);
  REQUIRE(axes.size() == 6);  // width+depth, activation, cw, lr, widths, seed
  CHECK(axes.front().points.size() == 3);
  CHECK(format_value(axes.front().points[2][1]) == "8");
}

TEST_CASE("the canonical text parses back to the same spec", "[config]") {
  const auto& schema = test_schema();
  const auto spec = resolve(
      read_spec_text("experiment = demo\nzip=depth+width\n[params]\nwidth=16..64 *2\ndepth=1..3\n",
                     "t", {}),
      schema);
  const auto again = resolve(read_spec_text(spec.canonical_text(schema), "stored", {}), schema);
  CHECK(again.canonical_text(schema) == spec.canonical_text(schema));
  CHECK(differing_keys(spec, again, schema).empty());
  const auto other = resolve(
      read_spec_text(spec.canonical_text(schema), "stored", {"lr=0.2", "sweep_seed=3"}), schema);
  CHECK(differing_keys(spec, other, schema) == std::vector<std::string>{"sweep_seed", "lr"});
}

TEST_CASE("spec errors are one line naming key, value and fix", "[config]") {
  CHECK_THAT(error_of("experiment = demo\n[params]\nwidht = 3\n"),
             Catch::Contains("t.ini [params] 'widht': unknown parameter — did you mean 'width'?"));
  CHECK_THAT(error_of("experiment = demo\nsweepseed = 3\n"),
             Catch::Contains("did you mean 'sweep_seed'"));
  CHECK_THAT(error_of("experiment = demo\n[grid]\nwidth = 3\n"),
             Catch::Contains("[grid]: unknown section"));
  CHECK_THAT(error_of("[params]\nwidth = 3\n"), Catch::Contains("no experiment"));
  CHECK_THAT(error_of("experiment = demo\n[params]\nwidth =\n"), Catch::Contains("empty item"));
  CHECK_THAT(
      error_of("experiment = demo\nzip = depth+width\n[params]\nwidth = 1,2\ndepth = 1,2,3\n"),
      Catch::Contains("depth has 3 values but width has 2"));
  CHECK_THAT(error_of("experiment = demo\nzip = seed+width\n"),
             Catch::Contains("seed cannot be zipped"));
  CHECK_THAT(error_of("experiment = demo\nzip = width\n"),
             Catch::Contains("two or more parameters"));
  CHECK_THAT(error_of("experiment = demo\nthis line has no equals sign\n"),
             Catch::Contains("key = value"));
  CHECK_THAT(error_of("experiment = demo\n", {"width"}),
             Catch::Contains("--set width: expected key=value"));
  CHECK_THAT(error_of("experiment = demo\nsweep_seed = -1\n"), Catch::Contains("sweep_seed = -1"));
  CHECK_THAT(error_of("experiment = demo\n[params]\nwidth = 1\nwidth = 2\n"),
             Catch::Contains("given twice"));
  for (const auto& message : {error_of("experiment = demo\n[params]\nwidht = 3\n"),
                              error_of("experiment = demo\nzip = seed+width\n")})
    CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("a number takes the words of its choices as text (batch = full)", "[config]") {
  ParamSpec batch{"batch", ParamType::integer, "8",  "samples", "mini-batch", 1,
                  1e9,     {"full"},           false};
  CHECK(parse_value(batch, "12") == Value{std::int64_t{12}});
  CHECK(parse_value(batch, " full ") == Value{std::string("full")});
  CHECK_THROWS_WITH(parse_value(batch, "fulll"),
                    Catch::Contains("not a whole number") && Catch::Contains(", or full"));
  CHECK_THROWS_WITH(parse_value(batch, "0"), Catch::Contains("out of range"));
}

TEST_CASE("duplicate grid points are refused, naming the key and the value", "[config]") {
  const std::string head = "experiment = demo\n[params]\n";
  CHECK_THAT(error_of(head + "seed = 1,1,2\n"),
             Catch::Contains("seed = 1,1,2") && Catch::Contains("value 1 twice"));
  CHECK_THAT(error_of(head + "width = 1..4, 3..6\n"),
             Catch::Contains("width = 1..4, 3..6") && Catch::Contains("value 3 twice"));
  CHECK_THAT(error_of(head + "lr = 0.1, 0.10\n"), Catch::Contains("value 0.1 twice"));
  CHECK_THAT(error_of(head + "activation = relu,tanh,relu\n"), Catch::Contains("value relu twice"));
  // In a zip group a point is the tuple: a value may repeat in one member, not a whole point.
  CHECK_THAT(error_of("experiment = demo\nzip = depth+width\n[params]\nwidth = 8,16,8\n"
                      "depth = 1,1,1\n"),
             Catch::Contains("width+depth") && Catch::Contains("(8, 1) twice"));
  CHECK(error_of("experiment = demo\nzip = depth+width\n[params]\nwidth = 8,16\ndepth = 1,1\n") ==
        "no error");
  CHECK_THAT(error_of("experiment = demo\n", {"seed=1,1"}), Catch::Contains("value 1 twice"));
}

TEST_CASE("a value the grammar does not fully consume is an error", "[config]") {
  CHECK_THROWS_WITH(axis("lr", "linspace(0, 1, 3))"), Catch::Contains("unbalanced parentheses"));
  CHECK_THROWS_WITH(axis("lr", "linspace(0, 1, 3), 7)"), Catch::Contains("unbalanced parentheses"));
  CHECK_THROWS_WITH(axis("lr", "linspace(0, 1, 3"), Catch::Contains("unbalanced parentheses"));
  CHECK_THROWS_WITH(axis("lr", "(0.1), 0.2"), Catch::Contains("unbalanced parentheses") ||
                                                  Catch::Contains("unknown function"));
  CHECK_THROWS_WITH(axis("width", "1..8 *2 *2"), Catch::Contains("not a number"));
  CHECK_THROWS_WITH(axis("width", "1..8 step 2 step 3"), Catch::Contains("not a number"));
  CHECK_THROWS_WITH(axis("lr", "logspace(1e-3, 1, 4) 5"), Catch::Contains("after"));
  CHECK_THROWS_WITH(axis("lr", "linspace(0, 1, 3)x"), Catch::Contains("linspace"));
}

TEST_CASE("inf and nan are refused wherever a number is read", "[config]") {
  for (const char* value : {"inf", "-inf", "nan", "infinity", "NaN"}) {
    CAPTURE(value);
    CHECK_THROWS_WITH(axis("lr", value), Catch::Contains("not a finite number"));
    CHECK_THROWS_WITH(axis("lr", std::string("linspace(0, ") + value + ", 3)"),
                      Catch::Contains("not a finite number"));
    CHECK_THROWS_WITH(axis("lr", std::string("0..") + value + " step 1"),
                      Catch::Contains("not a finite number"));
  }
  CHECK_THROWS_WITH(axis("cw", "inf"), Catch::Contains("not a finite number"));
}

TEST_CASE("a key given twice in a section or among --set is refused", "[config]") {
  CHECK_THAT(error_of("experiment = demo\nsweep_seed = 1\nsweep_seed = 2\n"),
             Catch::Contains("sweep_seed") && Catch::Contains("given twice"));
  CHECK_THAT(error_of("experiment = demo\nexperiment = demo\n"),
             Catch::Contains("experiment") && Catch::Contains("given twice"));
  CHECK_THAT(error_of("experiment = demo\n", {"width=8", "width=16"}),
             Catch::Contains("--set width") && Catch::Contains("given twice"));
  CHECK_THAT(error_of("experiment = demo\n", {"sweep_seed=1", "sweep_seed=2"}),
             Catch::Contains("--set sweep_seed") && Catch::Contains("given twice"));
  CHECK_THAT(error_of("experiment = demo\n", {"width=8", "params.width=16"}),
             Catch::Contains("given twice"));
  // A --set over a key of the file overrides it; zip stays repeatable.
  const auto& schema = test_schema();
  const auto spec =
      resolve(read_spec_text("experiment = demo\nsweep_seed = 1\n[params]\nwidth = 4\n", "t.ini",
                             {"width=8", "sweep_seed=2"}),
              schema);
  CHECK(spec.sweep_seed == 2);
  CHECK(texts(spec.values[schema.index("width")]) == std::vector<std::string>{"8"});
  CHECK(error_of("experiment = demo\nzip = depth+width\nzip = lr+cw\n") == "no error");
}

TEST_CASE("shell_quote pastes back; printable escapes what a terminal would act on", "[text]") {
  CHECK(shell_quote("runs/a-1.h5") == "runs/a-1.h5");
  CHECK(shell_quote("my results.h5") == "'my results.h5'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$(rm -rf x)") == "'$(rm -rf x)'");
  CHECK(shell_quote("") == "''");
  CHECK(printable("plain text") == "plain text");
  CHECK(printable("a\nb\tc\x1b[2J") == "a\\x0ab\\x09c\\x1b[2J");
  CHECK(printable("r\xc3\xa9sum\xc3\xa9") == "r\xc3\xa9sum\xc3\xa9");  // UTF-8 kept
  CHECK(printable("r\xe9sum\xe9") == "r\\xe9sum\\xe9");                // Latin-1 escaped
  CHECK(printable("\xc2\x9b") == "\\xc2\\x9b");  // a C1 control (CSI) in UTF-8 form
  CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
}
