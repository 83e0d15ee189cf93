#include <catch2/catch.hpp>

#include <cmath>

#include "ingestion/metric/prometheus.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::metric;

TEST_CASE("a vector answer gives one sample per series, labels included", "[metric]") {
  const std::string body = R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"__name__":"up","job":"node","instance":"a:9100"},"value":[1700000000.123,"1"]},
    {"metric":{"job":"node","instance":"b:9100"},"value":[1700000000.123,"NaN"]},
    {"metric":{},"value":[1700000000.123,"+Inf"]},
    {"metric":{"x":"y"},"value":[1700000000.123,"-2.5e3"]}]}})";
  const auto samples = prometheus::parse_query_answer(200, body);
  REQUIRE(samples);
  REQUIRE(samples->size() == 4);
  CHECK((*samples)[0].labels == Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}});
  CHECK((*samples)[0].value == 1);
  CHECK(std::isnan((*samples)[1].value));
  CHECK(std::isinf((*samples)[2].value));
  CHECK((*samples)[2].labels.empty());
  CHECK((*samples)[3].value == -2500);
}

TEST_CASE("a scalar answer is one series without labels, an empty vector is no series", "[metric]") {
  const auto scalar = prometheus::parse_query_answer(200, R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42.5"]}})");
  REQUIRE(scalar);
  REQUIRE(scalar->size() == 1);
  CHECK(scalar->front().value == 42.5);
  CHECK(scalar->front().labels.empty());
  const auto empty = prometheus::parse_query_answer(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("Prometheus's errors are classified: a bad expression is the configuration's, a timeout is transient", "[metric]") {
  const auto bad = prometheus::parse_query_answer(
      400, R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <by>"})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::Configuration);
  CHECK(bad.error().message == "Prometheus says bad_data: 1:5: parse error: unexpected <by>");
  const auto timeout = prometheus::parse_query_answer(503, R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  REQUIRE_FALSE(timeout);
  CHECK(timeout.error().kind == ErrorKind::Transient);
  const auto matrix = prometheus::parse_query_answer(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  REQUIRE_FALSE(matrix);
  CHECK(matrix.error().kind == ErrorKind::Configuration);
}

TEST_CASE("hostile or broken answers are errors, never crashes", "[metric]") {
  for (const std::string& body : std::vector<std::string>{"", "not json", "{}", R"({"status":"success"})", R"({"status":"success","data":{"resultType":"vector","result":{}}})",
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})",
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})",
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"12abc"]}]}})",
        R"({"status":"success","data":{"resultType":"scalar","result":[]}})", std::string(200, '['),
        "<html>502 Bad Gateway</html>"}) {
    INFO(body);
    CHECK_FALSE(prometheus::parse_query_answer(200, body));
  }
}

TEST_CASE("query and graph URLs keep the server's path prefix and encode the expression", "[metric]") {
  auto base = api::parse_url("https://prom.example/prefix/");
  REQUIRE(base);
  const TimePoint at{std::chrono::milliseconds(1764506292042)};
  CHECK(prometheus::query_url(*base, "rate(x[5m]) > 0.1", at).text() ==
        "https://prom.example/prefix/api/v1/query?query=rate%28x%5B5m%5D%29%20%3E%200.1&time=1764506292.042");
  CHECK(prometheus::query_url(*base, "up", TimePoint{std::chrono::milliseconds(5)}).text() ==
        "https://prom.example/prefix/api/v1/query?query=up&time=0.005");
  CHECK(prometheus::graph_link(*base, "up == 0") == "https://prom.example/prefix/graph?g0.expr=up%20%3D%3D%200&g0.tab=0");
}
