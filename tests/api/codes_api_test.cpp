// Door and counter codes: attempt limits, who may hand over, unlock (issue 14).
#include "api/api_fixture.hpp"
