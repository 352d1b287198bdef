// The same spec gives the same numbers at any rank count, pack size and I/O mode: the file's
// result columns are compared bit for bit with the kernel run task by task (pack 1, no MPI).
#include <boost/mpi.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>

#include "cli.hpp"
#include "nnsweep/experiments/experiment.hpp"
#include "unit_runner.hpp"

using namespace nnsweep;

namespace {

int run(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return app::run_command(static_cast<int>(argv.size()), argv.data());
}

bool same(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Number of (task, column) values that differ between the file and the reference rows (laid out
// as the file's result columns).
std::size_t differences(const io::ResultsFile& file, const std::vector<grid::Row>& reference) {
  std::size_t bad = 0;
  const grid::ColumnSet& set = file.result_columns();
  for (std::size_t c = 0; c < set.size(); ++c) {
    const grid::Column& column = set[c];
    if (column.is_text()) {
      const auto texts = file.read_strings(column.name);
      for (std::size_t t = 0; t < file.task_count(); ++t)
        if (texts[t] != reference[t].data().texts[set.text_index(c)] && bad++ < 5)
          UNSCOPED_INFO(file.path() << ": task " << t << " " << column.name << " differs");
      continue;
    }
    const auto rows = file.read_curve(column.name);
    for (std::size_t t = 0; t < file.task_count(); ++t)
      for (std::size_t k = 0; k < column.length(); ++k) {
        const double want = reference[t].data().numbers[set.number_offset(c) + k];
        if (!same(rows[t][k], want) && bad++ < 5)
          UNSCOPED_INFO(file.path() << ": task " << t << " " << column.name << "[" << k
                                    << "] = " << std::setprecision(17) << rows[t][k]
                                    << ", kernel alone gives " << want);
      }
    if (column.kind != grid::ColumnKind::theory) continue;
    const auto kinds = file.read_numbers(grid::ColumnSet::kind_column(column.name));
    for (std::size_t t = 0; t < file.task_count(); ++t)
      if (kinds[t] != reference[t].data().theory_kinds[set.theory_index(c)] && bad++ < 5)
        UNSCOPED_INFO(file.path() << ": task " << t << " " << column.name << " kind differs");
  }
  for (std::size_t d = 0; d < set.dimensions().size(); ++d) {
    const auto counts = file.read_numbers(grid::ColumnSet::count_column(set.dimensions()[d].name));
    for (std::size_t t = 0; t < file.task_count(); ++t)
      if (counts[t] != reference[t].data().counts[d] && bad++ < 5)
        UNSCOPED_INFO(file.path() << ": task " << t << " count of " << set.dimensions()[d].name);
  }
  return bad;
}

const char* const specs[] = {
    "experiment = correlations\nsweep_seed = 5\n[params]\nactivation = relu,tanh\nwidth = "
    "8,24\ndepth = 1,3\n"
    "samples = 300\nn_out = 3\nseed = 0..2\n",
    "experiment = correlations\nsweep_seed = 6\n[params]\nactivation = leaky_relu,tanh\nwidth = "
    "8,16\ndepth = 2\n"
    "samples = 200\nsampler = full_network\nprecision = float,double\nn_out = 2\nseed = 0,1\n",
    "experiment = linear_teacher\nsweep_seed = 7\n[params]\nwidth = 3\nalpha = 0.1,0.3\nsigma0 = "
    "0.01,1\n"
    "n_train = 40\nn_test = 200\nepochs = 15\nbatch = 1,7\nlog_points = 6\nprecision = "
    "double,float\nseed = 0..5\n",
    "experiment = support\nsweep_seed = 8\n[params]\nn_train = 20\nd = 6\nrelevant = 2\nwidth = "
    "5\ndepth = 2\nsteps = 60\nlog_points = 7\nbatch = 3,full\nwd = 0,0.1\nprecision = "
    "double,float\nbatch_seed = 0,1\nseed = 0..4\n",
    "experiment = support\nsweep_seed = 9\n[params]\nmodel = toy\nn_train = 30\nlr = "
    "0.01\nclip = 0\nsteps = 200\nbatch = 4,full\nseed = 0..6\n",
    "experiment = splines\nsweep_seed = 8\n[params]\nwidth = 6\nsteps = 200\nlog_points = 5\n"
    "grid_points = 9\nreg_mode = pn,ses,bf\nwd_rel = 0.3\nprecision = double,float\nseed = 0..4\n",
    "experiment = splines\nsweep_seed = 9\n[params]\nwidth = 5\ndepth = 3\nd = 3\ndata = "
    "index,grid\nn_points = 10\noptimizer = gd\nsteps = 100\nlog_points = 4\ngrid_points = 5\nseed "
    "= 0..5\n",
    "experiment = symmetry\nsweep_seed = 8\n[params]\nteacher_width = 2\nwidth = 2,4\nd = 2\n"
    "n_train = 60\nsteps = 150\noptimizer = gd,adam\nprecision = double,float\npolish_steps = "
    "40\nteacher_seed = 0,1\nseed = 0..4\n",
};

}  // namespace

TEST_CASE("results do not depend on the rank count, the pack size or the I/O mode",
          "[mpi][determinism]") {
  const boost::mpi::communicator world;
  for (const char* text : specs) {
    const std::string spec = "spec.ini";
    if (world.rank() == 0) std::ofstream(spec) << text;
    world.barrier();
    REQUIRE(run({"run", spec, "--out", "parallel.h5", "--force", "--progress", "none"}) == 0);
    REQUIRE(run({"run", spec, "--out", "serial.h5", "--force", "--io", "serial", "--pack", "24",
                 "--progress", "none"}) == 0);
    if (world.rank() != 0) continue;

    const app::Sweep sweep = app::load_sweep(spec, {});
    app::UnitRunner kernel(sweep, 1);
    const std::atomic<bool> never{false};
    std::vector<grid::Row> reference;
    for (std::size_t t = 0; t < sweep.table->size(); ++t) {
      const auto records = kernel({t, 1, 0}, never);
      CHECK(records.front().status == static_cast<std::uint8_t>(grid::TaskStatus::done));
      reference.push_back(records.front().row);
    }
    for (const char* name : {"parallel.h5", "serial.h5"}) {
      const io::ResultsFile file(name, io::ResultsFile::Access::read_only);
      const auto status = file.read_status();
      CHECK(std::count(status.begin(), status.end(),
                       static_cast<std::uint8_t>(grid::TaskStatus::done)) ==
            static_cast<std::ptrdiff_t>(file.task_count()));
      CHECK(differences(file, reference) == 0);
    }
  }
}
