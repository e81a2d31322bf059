// Token buckets (issue 14).
#include <gtest/gtest.h>

#include "freshlane/core/rate_limit.hpp"
