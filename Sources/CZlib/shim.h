// zlib (Debian's zlib1g-dev), for the deflated entries of ZIP archives such as Python wheels.
#include <zlib.h>
