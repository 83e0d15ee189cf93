#pragma once
// A row's fields written straight to their journal form, the JSON text of the object
// {column: to_json(cell), …} as nlohmann::json would dump it (keys in sorted order, invalid UTF-8
// replaced), without building the object: no map, no node per column, and the common values
// (NULL, integers, booleans, plain text and timestamps) written without any allocation of their own.
// Built once per query (the columns), used for every row of every page.
#include <cstddef>
#include <string>
#include <vector>

#include "ingestion/db/engine.hpp"

namespace chatops::ingestion::db {

class FieldsWriter {
 public:
  FieldsWriter() = default;
  FieldsWriter(const std::vector<std::string>& columns, std::size_t max_text);
  std::string write(const Row& row) const;

 private:
  struct Column {
    std::size_t index;   // in the row
    std::string prefix;  // `"name":`
  };
  std::vector<Column> order_;  // by name, as nlohmann::json's std::map sorts them
  std::size_t max_text_ = 0;
};

}  // namespace chatops::ingestion::db
