// The MPI backend of sched::Context (the MPI C API; MPI_ERRORS_ARE_FATAL stays in force, so an
// MPI failure ends the job rather than leaving ranks in a collective).
#include <cstdlib>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/sched/context.hpp"

namespace nnsweep::sched {
namespace {

class Mpi final : public Context::Interface {
 public:
  // `owned`: a duplicated communicator this backend frees.
  Mpi(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~Mpi() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned_ && finalized == 0) MPI_Comm_free(&comm_);
  }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;

  std::string name() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int min(int value) const override {
    int out = 0;
    MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MIN, comm_);
    return out;
  }
  void broadcast(std::string& bytes, int root) const override {
    unsigned long long size = bytes.size();
    MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, comm_);
    bytes.resize(size);
    if (size > 0) MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_BYTE, root, comm_);
  }
  void barrier() const override { MPI_Barrier(comm_); }
  std::shared_ptr<Interface> duplicate() const override {
    MPI_Comm copy = MPI_COMM_NULL;
    MPI_Comm_dup(comm_, &copy);
    return std::make_shared<Mpi>(copy, true);
  }
  void send(int destination, int tag, const std::string& bytes) const override {
    MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination, tag, comm_);
  }
  std::optional<int> probe(int tag) const override {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, tag, comm_, &flag, &status);
    if (flag == 0) return std::nullopt;
    return status.MPI_SOURCE;
  }
  std::string receive(int source, int tag) const override {
    MPI_Status status;
    MPI_Probe(source, tag, comm_, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    std::string bytes(static_cast<std::size_t>(count), '\0');
    MPI_Recv(bytes.data(), count, MPI_BYTE, source, tag, comm_, MPI_STATUS_IGNORE);
    return bytes;
  }
  MPI_Comm communicator() const override { return comm_; }

 private:
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0, size_ = 1;
};

}  // namespace

Context mpi_context(MPI_Comm comm) {
  return Context(std::make_shared<Mpi>(comm, false));
}

MpiSession::MpiSession(int& argc, char**& argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  int provided = MPI_THREAD_SINGLE;
  if (initialised == 0) {
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    initialised_here_ = true;
  } else {
    MPI_Query_thread(&provided);
  }
  funneled_ = provided >= MPI_THREAD_FUNNELED;
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialised_here_ && finalized == 0) MPI_Finalize();
}

Context MpiSession::world() const {
  return mpi_context(MPI_COMM_WORLD);
}

void MpiSession::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

}  // namespace nnsweep::sched
