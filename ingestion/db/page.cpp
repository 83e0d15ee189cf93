#include "ingestion/db/page.hpp"

namespace chatops::ingestion::db {

namespace {

std::string shown(const Cell& c) { return c.text.size() > 40 ? c.text.substr(0, 40) + "…" : c.text; }

}  // namespace

Result<PagePlan> plan_page(const std::vector<Row>& rows, std::size_t tracking, std::size_t limit, const Cell& last,
                           std::string_view column) {
  const std::string col(column);
  if (rows.size() > limit)
    return fail("the query returned " + std::to_string(rows.size()) + " rows for LIMIT " + std::to_string(limit) +
                ": it must end with LIMIT :limit");
  const Cell* previous = &last;
  for (const auto& row : rows) {
    const Cell& value = row.at(tracking);
    if (value.type == Type::Null)
      return fail("the tracking column " + col + " is NULL in a row: the query must return only rows with a value");
    // Numbers can be checked here; text and times sort by the database's rules.
    if (previous == &last && numeric_less(last, value) == false)
      return fail("the query returned a row whose " + col + " (" + shown(value) + ") is not after :last (" +
                  shown(last) + "): its WHERE must say " + col + " > :last");
    if (previous != &last && numeric_less(value, *previous) == true)
      return fail("the rows are not in ascending order of " + col + " (" + shown(*previous) + " then " +
                  shown(value) + "): the query must ORDER BY " + col);
    previous = &value;
  }
  PagePlan plan{.take = rows.size(), .mark = std::nullopt, .more = rows.size() == limit && !rows.empty()};
  if (plan.more) {
    const Cell& end = rows.back()[tracking];
    while (plan.take > 0 && rows[plan.take - 1][tracking].text == end.text) --plan.take;
    if (plan.take == 0)
      return fail("all " + std::to_string(limit) + " rows of a page share " + col + " = " + shown(end) +
                  ": raise max_rows above the number of rows that can share one value, or track a unique column");
  }
  if (plan.take > 0) plan.mark = rows[plan.take - 1][tracking];
  return plan;
}

}  // namespace chatops::ingestion::db
