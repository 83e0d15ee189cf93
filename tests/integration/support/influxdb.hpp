// A real InfluxDB 1.x (Debian's influxdb, 1.6) on 127.0.0.1, its data in a temp dir, with one
// database made for the test. The constructor returns once /ping answers and the database exists.
#pragma once

#include <memory>
#include <string>

#include "tests/integration/support/http.hpp"
#include "tests/integration/support/process.hpp"

namespace chatops::test {

class InfluxDb {
 public:
  explicit InfluxDb(std::string database = "test");  // throws if not ready within 30 s
  ~InfluxDb();
  InfluxDb(const InfluxDb&) = delete;
  InfluxDb& operator=(const InfluxDb&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& database() const { return database_; }

  // POST /write?db=<database> with line protocol (InfluxDB answers 204).
  HttpResult write(const std::string& lines);
  // POST /query?q=<statement> (percent-encoded here).
  HttpResult query(const std::string& statement);

 private:
  std::string database_;
  TempDir dir_{"chatops-influxdb"};
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
