// InfluxDB answers: 1.x InfluxQL JSON, and 2.x Flux annotated CSV. Debian packages InfluxDB 1.6
// only, so Flux's CSV is tested here against the examples of InfluxData's documentation
// ("Annotated CSV syntax", docs.influxdata.com/influxdb/v2/reference/syntax/annotated-csv/; the
// docs-v2 repository's content/v2.0/reference/annotated-csv.md) rather than a running 2.x server.
#include <catch2/catch.hpp>

#include <cmath>

#include "ingestion/metric/influxdb.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::metric;

namespace {

std::vector<Sample> flux(const std::string& csv) {
  auto samples = influxdb::parse_flux_csv(csv);
  INFO((samples ? "" : samples.error().message));
  REQUIRE(samples);
  return *samples;
}

}  // namespace

TEST_CASE("InfluxQL: each series gives its tags and its last row's value", "[metric]") {
  const auto samples = influxdb::parse_influxql_answer(R"({"results":[{"statement_id":0,"series":[
    {"name":"cpu","tags":{"host":"a"},"columns":["time","mean"],"values":[[1700000000000,12.5],[1700000060000,95.5]]},
    {"name":"cpu","tags":{"host":"b"},"columns":["time","mean"],"values":[[1700000060000,null]]},
    {"name":"disk","columns":["time","used","free"],"values":[[1700000060000,80,20]]}]}]})");
  REQUIRE(samples);
  REQUIRE(samples->size() == 3);
  CHECK((*samples)[0].labels == Labels{{"host", "a"}});
  CHECK((*samples)[0].value == 95.5);
  CHECK(std::isnan((*samples)[1].value));
  CHECK((*samples)[2].labels.empty());
  CHECK((*samples)[2].value == 80);  // the first column after time
}

TEST_CASE("InfluxQL: no series is no data, errors are the configuration's", "[metric]") {
  const auto empty = influxdb::parse_influxql_answer(R"({"results":[{"statement_id":0}]})");
  REQUIRE(empty);
  CHECK(empty->empty());
  const auto missing = influxdb::parse_influxql_answer(R"({"results":[{"statement_id":0,"error":"database not found: nope"}]})");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::Configuration);
  CHECK(missing.error().message == "InfluxDB says: database not found: nope");
  const auto parse = influxdb::parse_influxql_answer(R"({"error":"error parsing query: found EOF, expected FROM at line 1, char 14"})");
  REQUIRE_FALSE(parse);
  CHECK(parse.error().kind == ErrorKind::Configuration);
  for (const std::string& bad : std::vector<std::string>{"", "[]", R"({"results":{}})",
                                                         R"({"results":[{"series":[{"columns":["time"],"values":[[1]]}]}]})",
                                                         R"({"results":[{"series":[{"values":[]}]}]})"}) {
    INFO(bad);
    CHECK_FALSE(influxdb::parse_influxql_answer(bad));
  }
}

TEST_CASE("Flux CSV: the documentation's example with datatype, group and default annotations", "[metric]") {
  const auto samples = flux(
      "#group,false,false,true,true,false,false,true,true,true,true\r\n"
      "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string\r\n"
      "#default,mean,,,,,,,,,\r\n"
      ",result,table,_start,_stop,_time,_value,_field,_measurement,host,region\r\n"
      ",,0,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,15.43,mem,m,A,east\r\n"
      ",,1,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,59.25,mem,m,B,east\r\n"
      ",,2,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,52.62,mem,m,C,east\r\n");
  REQUIRE(samples.size() == 3);
  CHECK(samples[0].labels == Labels{{"_field", "mem"}, {"_measurement", "m"}, {"host", "A"}, {"region", "east"}});
  CHECK(samples[0].value == 15.43);
  CHECK(samples[1].labels.at("host") == "B");
  CHECK(samples[2].value == 52.62);
}

TEST_CASE("Flux CSV: tables of one result with and without a header's annotation column", "[metric]") {
  // "Same schema": no annotations, no annotation column; the group key is unknown, so every
  // column but Flux's own names the series. Each table's last row is its value.
  const auto same = flux(
      "result,table,_start,_stop,_time,region,host,_value\n"
      "my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,east,A,15.43\n"
      "my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:20Z,east,B,59.25\n"
      "my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:40Z,east,C,52.62\n"
      "my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,west,A,62.73\n"
      "my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:20Z,west,B,12.83\n"
      "my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:40Z,west,C,51.62\n\n");
  REQUIRE(same.size() == 2);
  CHECK(same[0].labels == Labels{{"host", "C"}, {"region", "east"}});
  CHECK(same[0].value == 52.62);
  CHECK(same[1].labels == Labels{{"host", "C"}, {"region", "west"}});
  CHECK(same[1].value == 51.62);
}

TEST_CASE("Flux CSV: the group annotation names the series, repeated headers are headers", "[metric]") {
  // "Datatype and group annotations": each annotation is followed by the header row again.
  const std::string rows =
      ",my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,east,A,15.43\n"
      ",my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:20Z,east,B,59.25\n"
      ",my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:40Z,east,C,52.62\n"
      ",my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,west,A,62.73\n"
      ",my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:20Z,west,B,12.83\n"
      ",my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:40Z,west,C,51.62\n";
  const auto samples = flux(
      "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,double\n"
      ",result,table,_start,_stop,_time,region,host,_value\n"
      "#group,false,false,true,true,false,true,false,false\n"
      ",result,table,_start,_stop,_time,region,host,_value\n" +
      rows);
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].labels == Labels{{"region", "east"}});
  CHECK(samples[1].labels == Labels{{"region", "west"}});
  CHECK(samples[1].value == 51.62);
}

TEST_CASE("Flux CSV: tables of different schemas, separated by a blank line", "[metric]") {
  // "Different schema": the second table has no _value: a check needs one.
  const auto different = influxdb::parse_flux_csv(
      ",result,table,_start,_stop,_time,region,host,_value\n"
      ",my-result,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,east,A,15.43\n"
      "\n"
      ",result,table,_start,_stop,_time,location,device,min,max\n"
      ",my-result,1,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,USA,5825,62.73,68.42\n");
  REQUIRE_FALSE(different);
  CHECK_THAT(different.error().message, Catch::Contains("no _value column"));
}

TEST_CASE("Flux CSV: an error table is the query's error", "[metric]") {
  const auto error = influxdb::parse_flux_csv("#datatype,string,long\n,error,reference\n,Failed to parse query,897\n");
  REQUIRE_FALSE(error);
  CHECK(error.error().kind == ErrorKind::Configuration);
  CHECK(error.error().message == "InfluxDB says: Failed to parse query");
}

TEST_CASE("Flux CSV: quoting, types and hostile text", "[metric]") {
  const auto quoted = flux(
      "#group,false,false,true,false\n#datatype,string,long,string,long\n"
      ",result,table,name,_value\n,,0,\"a, \"\"quoted\"\" name\",42\n");
  REQUIRE(quoted.size() == 1);
  CHECK(quoted[0].labels.at("name") == "a, \"quoted\" name");
  CHECK(quoted[0].value == 42);
  CHECK(flux("#datatype,string,long,boolean\n,result,table,_value\n,,0,true\n")[0].value == 1);
  CHECK(std::isnan(flux(",result,table,_value\n,,0,\n")[0].value));
  CHECK(flux("").empty());
  CHECK_FALSE(influxdb::parse_flux_csv(",result,table,_value\n,,0,\"open\n"));
  CHECK_FALSE(influxdb::parse_flux_csv(",result,table,_value\n,,0\n"));
}

TEST_CASE("Flux and InfluxQL requests are the ones InfluxDB's API documentation gives", "[metric]") {
  // InfluxDB 2.x, "Query with the InfluxDB API": POST /api/v2/query with the organisation as
  // `org`, `Authorization: Token <API_TOKEN>`, `Accept: application/csv`, and the query in the
  // body; with `Content-type: application/json`, as the Query object {query, type, dialect}.
  influxdb::InfluxConfig flux_config;
  flux_config.url = *api::parse_url("https://influx.example/prefix/");
  flux_config.language = influxdb::Language::Flux;
  flux_config.org = "ops team";
  flux_config.token = "s3cret";
  const std::string query = "from(bucket: \"telegraf\") |> range(start: -5m) |> last()";
  const auto flux_request = influxdb::query_request(flux_config, query);
  CHECK(flux_request.method == "POST");
  CHECK(flux_request.url.text() == "https://influx.example/prefix/api/v2/query?org=ops%20team");
  CHECK(flux_request.content_type == "application/json");
  CHECK(flux_request.headers == api::Headers{{"Accept", "application/csv"}, {"Authorization", "Token s3cret"}});
  CHECK(nlohmann::json::parse(flux_request.body) ==
        nlohmann::json{{"query", query},
                       {"type", "flux"},
                       {"dialect", {{"annotations", {"group", "datatype", "default"}}, {"header", true}}}});
  // InfluxDB 1.x, "Query data with the InfluxDB API": GET /query?db=…&q=…, times in ms.
  influxdb::InfluxConfig ql_config;
  ql_config.url = *api::parse_url("http://127.0.0.1:8086");
  ql_config.database = "telegraf";
  const auto ql_request = influxdb::query_request(ql_config, "SELECT last(\"v\") FROM \"m\"");
  CHECK(ql_request.method == "GET");
  CHECK(ql_request.url.text() == "http://127.0.0.1:8086/query?db=telegraf&q=SELECT%20last%28%22v%22%29%20FROM%20%22m%22&epoch=ms");
  CHECK(ql_request.body.empty());
}
