// Abuse limits through the real server: rate limits, hold caps, payment races (issue 14).
#include "api/api_fixture.hpp"
