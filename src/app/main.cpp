#include <iostream>

#include "nnsweep/core/version.hpp"

int main() {
  std::cout << "nnsweep " << nnsweep::version() << "\n";
  return 0;
}
