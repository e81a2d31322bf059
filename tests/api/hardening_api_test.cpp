// What any client may send and what ops tools read: no 500s, bounded work, logs, signals (issue 14).
#include "api/api_fixture.hpp"
