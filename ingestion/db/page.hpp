#pragma once
// What one page of rows (a run of the query, at most :limit rows) means for the high-water mark:
// which rows are new, the mark after them, whether more may wait. Rows that share the last
// row's tracking value on a full page are left for the next page, so that a mark never passes
// rows of its own value that were not read (with a non-unique tracking column such as a
// timestamp, `> :last` would skip them).
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "ingestion/db/engine.hpp"

namespace chatops::ingestion::db {

struct PagePlan {
  std::size_t take = 0;      // the first `take` rows are new: said, and the mark moves past them
  std::optional<Cell> mark;  // the high-water mark after them; nullopt when nothing was taken
  bool more = false;         // the page was full: ask again at once
};

// `tracking` is the tracking column's index in each row, `limit` the :limit the query was given,
// `last` the mark it was given. A configuration error (NULL tracking values, rows out of order or
// not after :last, more rows than :limit, a full page of one tracking value) says what to change.
Result<PagePlan> plan_page(const std::vector<Row>& rows, std::size_t tracking, std::size_t limit, const Cell& last,
                           std::string_view column);

}  // namespace chatops::ingestion::db
