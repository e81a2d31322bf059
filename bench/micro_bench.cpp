// Run: build/bench/micro_bench   (Release or RelWithDebInfo build)
// The scan path checks a QR signature on the I/O thread before any database work, so its cost
// bounds how many forged codes one core can refuse per second.
#include <benchmark/benchmark.h>

#include "freshlane/catalog/pricing.hpp"
#include "freshlane/catalog/qr_code.hpp"
#include "freshlane/core/geo.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/http/router.hpp"

using namespace freshlane;

static void BM_QrVerifyLotCode(benchmark::State& state) {
  const catalog::QrCodec codec("bench-secret-0123456789");
  const std::string code = codec.lot_code("L0123456789AB");
  for (auto _ : state) benchmark::DoNotOptimize(codec.decode(code));
}
BENCHMARK(BM_QrVerifyLotCode);

static void BM_QrRefuseForgedCode(benchmark::State& state) {
  const catalog::QrCodec codec("bench-secret-0123456789");
  std::string code = codec.lot_code("L0123456789AB");
  code.back() = code.back() == 'A' ? 'B' : 'A';
  for (auto _ : state) benchmark::DoNotOptimize(codec.decode(code));
}
BENCHMARK(BM_QrRefuseForgedCode);

static void BM_RouterMatchStoreProduct(benchmark::State& state) {
  http::Router router;
  const http::Handler h = [](http::Request&&, http::Responder) {};
  for (const char* p :
       {"/healthz", "/readyz", "/metrics", "/openapi.yaml", "/v1/stores", "/v1/stores/{store_id}",
        "/v1/products", "/v1/products/{sku}", "/v1/stores/{store_id}/products",
        "/v1/stores/{store_id}/lots", "/v1/scan/{code}"}) {
    router.add("GET", p, h);
  }
  router.add("GET", "/v1/stores/{store_id}/products/{sku}", h);
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match("GET", "/v1/stores/sh-jinqiao/products/KINGCRAB-M"));
  }
}
BENCHMARK(BM_RouterMatchStoreProduct);

// Every problem answer leaves with `instance`: what adding it costs per answer.
static void BM_AddInstanceToAProblem(benchmark::State& state) {
  const http::Response base =
      http::problem(core::ErrorKind::kOutOfStock, "2 line(s) cannot be filled",
                    {{"lines", {{{"sku", "KINGCRAB-M"}, {"requested", 3}}}}});
  for (auto _ : state) {
    http::Response r = base;
    http::add_instance(r, "0123456789abcdef");
    benchmark::DoNotOptimize(r.body.data());
  }
}
BENCHMARK(BM_AddInstanceToAProblem);

static void BM_PriceNow(benchmark::State& state) {
  catalog::Listing l;
  l.price_minor = 3990;
  l.markdown = catalog::Markdown{2790, core::Timestamp{std::chrono::seconds{2'000'000'000}}};
  const core::Timestamp now{std::chrono::seconds{1'800'000'000}};
  for (auto _ : state) benchmark::DoNotOptimize(catalog::price_now(l, now));
}
BENCHMARK(BM_PriceNow);

static void BM_Distance(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(core::distance_m({31.2536, 121.5907}, {31.2235, 121.4457}));
  }
}
BENCHMARK(BM_Distance);

static void BM_ProblemJson(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        http::problem(core::ErrorKind::kUnknownCode, "this code was not issued by freshlane"));
  }
}
BENCHMARK(BM_ProblemJson);

BENCHMARK_MAIN();
