// Compile-cost input: the umbrella header alone, nothing used.
#include <tunekit/tunekit.hpp>

int main() {}
