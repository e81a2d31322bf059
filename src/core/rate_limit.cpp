#include "freshlane/core/rate_limit.hpp"
