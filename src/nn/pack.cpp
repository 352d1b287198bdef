// The engine's instantiations: every kernel is compiled here once, with the library's flags,
// so a replica's bits never depend on which translation unit inlined the engine.
#include "pack_impl.hpp"

namespace nnsweep::nn {

template class Pack<float, default_lanes<float>>;
template class Pack<double, default_lanes<double>>;
template class Sgd<float, default_lanes<float>>;
template class Sgd<double, default_lanes<double>>;
template class Adam<float, default_lanes<float>>;
template class Adam<double, default_lanes<double>>;

}  // namespace nnsweep::nn
