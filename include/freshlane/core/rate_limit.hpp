#pragma once
// Token buckets keyed by a client address or a token: pure, time as a parameter.
// (Filled in by the abuse-limits work of issue 14.)
