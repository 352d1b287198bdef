// The local backend of sched::Context: one rank, no MPI.
#include "nnsweep/sched/context.hpp"
#include "nnsweep/core/error.hpp"

namespace nnsweep::sched {
namespace {

class Local final : public Context::Interface {
 public:
  std::string name() const override { return "local"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int min(int value) const override { return value; }
  void broadcast(std::string& /*bytes*/, int root) const override { check_rank(root); }
  void barrier() const override {}
  std::shared_ptr<Interface> duplicate() const override { return std::make_shared<Local>(); }
  void send(int destination, int /*tag*/, const std::string& /*bytes*/) const override {
    check_rank(destination);
    throw error("internal: the local context has no other rank to send to");
  }
  std::optional<int> probe(int /*tag*/) const override { return std::nullopt; }
  std::string receive(int source, int /*tag*/) const override {
    check_rank(source);
    throw error("internal: the local context has no other rank to receive from");
  }
  MPI_Comm communicator() const override { return MPI_COMM_NULL; }

 private:
  static void check_rank(int rank) {
    if (rank != 0) throw error(cat("internal: rank ", rank, " in a local context of one rank"));
  }
};

}  // namespace

Context local_context() {
  return Context(std::make_shared<Local>());
}

}  // namespace nnsweep::sched
