#pragma once
// Everything a run says to other ranks goes through a Context (after arbor's
// distributed_context): a value that wraps one backend — MPI for real runs, local (one rank, no
// MPI) for tests and tools — behind a small interface of collectives (min, broadcast, barrier)
// and the scheduler's point-to-point messages. The dispatcher, the run command's agreement on
// errors and its broadcasts are written against it, so they run and are unit-tested without
// mpiexec. The MPI backend (sched/context_mpi.cpp) is, with the scheduler, the only MPI code.
#include <mpi.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace nnsweep::sched {

class Context {
 public:
  // What a backend implements. Collectives are called by every rank, in the same order.
  class Interface {
   public:
    virtual ~Interface() = default;
    virtual std::string name() const = 0;  // "mpi", "local"
    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual int min(int value) const = 0;  // the smallest value over every rank
    virtual void broadcast(std::string& bytes, int root) const = 0;
    virtual void barrier() const = 0;
    // The same ranks with a message space of their own (messages never meet another run's).
    virtual std::shared_ptr<Interface> duplicate() const = 0;
    virtual void send(int destination, int tag, const std::string& bytes) const = 0;
    // The source of a message with `tag` waiting to be received, without blocking.
    virtual std::optional<int> probe(int tag) const = 0;
    virtual std::string receive(int source, int tag) const = 0;
    // The MPI communicator (parallel HDF5 needs it); MPI_COMM_NULL for a backend without MPI.
    virtual MPI_Comm communicator() const = 0;
  };

  explicit Context(std::shared_ptr<const Interface> backend) : backend_(std::move(backend)) {}

  std::string name() const { return backend_->name(); }
  int rank() const { return backend_->rank(); }
  int size() const { return backend_->size(); }
  bool is_root() const { return rank() == 0; }
  int min(int value) const { return backend_->min(value); }
  void barrier() const { backend_->barrier(); }
  void broadcast(std::string& bytes, int root) const { backend_->broadcast(bytes, root); }
  // A plain value (int, double, ...) from `root` to every rank.
  template <typename T>
  void broadcast(T& value, int root) const {
    static_assert(std::is_trivially_copyable_v<T>, "broadcast strings or plain values");
    std::string bytes(sizeof(T), '\0');
    std::memcpy(bytes.data(), &value, sizeof(T));
    backend_->broadcast(bytes, root);
    std::memcpy(&value, bytes.data(), sizeof(T));
  }
  Context duplicate() const { return Context(backend_->duplicate()); }
  void send(int destination, int tag, const std::string& bytes) const {
    backend_->send(destination, tag, bytes);
  }
  std::optional<int> probe(int tag) const { return backend_->probe(tag); }
  std::string receive(int source, int tag) const { return backend_->receive(source, tag); }
  MPI_Comm communicator() const { return backend_->communicator(); }

 private:
  std::shared_ptr<const Interface> backend_;
};

// One rank, no MPI: collectives are the identity, there is nobody to send to.
Context local_context();

// Every rank of `comm` (which must stay valid while the context is used).
Context mpi_context(MPI_Comm comm);

// MPI for the lifetime of a command: initialised with MPI_THREAD_FUNNELED (rank 0 computes on a
// second thread that never calls MPI) unless the process already did (tests), finalised at the
// end if it was initialised here.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // Whether MPI gives the thread level the scheduler needs.
  bool funneled() const { return funneled_; }
  // MPI_COMM_WORLD.
  Context world() const;
  // Ends every rank (a rank that fails alone must never leave the others in a collective).
  [[noreturn]] void abort(int code) const;

 private:
  bool initialised_here_ = false;
  bool funneled_ = false;
};

}  // namespace nnsweep::sched
