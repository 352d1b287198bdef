// Catch2 main for MPI tests: every rank runs the same test cases with the same seed; only rank 0
// reports (other ranks' output is shown if they fail); every rank exits with the worst result.
#define CATCH_CONFIG_RUNNER
#include <boost/mpi.hpp>
#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>

int main(int argc, char* argv[]) {
  boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled);
  boost::mpi::communicator world;
  std::ostringstream quiet;
  std::streambuf* saved = world.rank() == 0 ? nullptr : std::cout.rdbuf(quiet.rdbuf());
  const int failed = Catch::Session().run(argc, argv);
  if (saved != nullptr) std::cout.rdbuf(saved);
  if (failed != 0 && world.rank() != 0)
    std::cerr << "[rank " << world.rank() << "]\n" << quiet.str();
  return boost::mpi::all_reduce(world, failed, boost::mpi::maximum<int>());
}
