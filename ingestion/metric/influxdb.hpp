#pragma once
// `provider: influxdb`: InfluxDB 1.x InfluxQL (GET /query, JSON series, tags as labels) and
// InfluxDB 2.x Flux (POST /api/v2/query, annotated CSV, the group key as labels). Each series (a
// Flux table) gives one sample: its last row's value.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingestion/api/auth.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/api/url.hpp"
#include "ingestion/metric/provider.hpp"

namespace chatops::ingestion::metric::influxdb {

enum class Language { InfluxQL, Flux };

struct InfluxConfig {
  api::Url url;
  Language language = Language::InfluxQL;
  std::string database;  // InfluxQL
  std::string org;       // Flux
  std::string token;     // Flux: Authorization: Token <token>
  api::AuthConfig auth;  // InfluxQL: basic (or anything kind api has)
  api::TlsOptions tls;
  std::size_t max_response = 64 * 1024 * 1024;
};

// A 1.x /query answer (JSON): for each series, its tags as labels and the last row's value (the
// first column after time). An error (top-level or the statement's) is a configuration error.
SourceResult<std::vector<Sample>> parse_influxql_answer(const std::string& body);

// A 2.x /api/v2/query answer (annotated CSV, RFC 4180 quoting, tables separated by blank lines):
// for each table, the last row's _value and its group key's columns (but result, table, _start
// and _stop) as labels. A CSV error table (the columns error, reference) is the query's error.
SourceResult<std::vector<Sample>> parse_flux_csv(std::string_view csv);

// The request of one query, without the credentials of `auth`: InfluxQL `GET /query?db=…&q=…`,
// Flux `POST /api/v2/query?org=…` with the JSON body and headers of InfluxDB 2.x's API reference.
api::HttpRequest query_request(const InfluxConfig& config, const std::string& query);

std::unique_ptr<Provider> make_provider(InfluxConfig config, std::function<bool()> stopping);

}  // namespace chatops::ingestion::metric::influxdb
