#include "ingestion/metric/statsd.hpp"

namespace chatops::ingestion::metric::statsd {

namespace {

class StatsdProvider final : public Provider {
 public:
  // Binds at once, so that what is sent as soon as the source is started is received; when the
  // address is taken, open() tries again from the source's thread (with its backoff).
  explicit StatsdProvider(StatsdConfig config) : aggregator_(config.limits), listener_(config.listener, aggregator_) {
    [[maybe_unused]] const auto bound = listener_.open();
  }

  SourceResult<> open(SourceRuntime& runtime) override {
    runtime_ = &runtime;
    dropped_ = runtime.metrics().counter("chatops_statsd_dropped_total",
                                         "StatsD input not aggregated, by reason: malformed lines, series over "
                                         "max_series, datagrams the kernel dropped, TCP lines over max_line, "
                                         "connections over max_connections, TCP connections closed after "
                                         "tcp_idle_timeout without a complete line.",
                                         {"reason"});
    return listener_.open();
  }

  SourceResult<> begin_run() override {
    window_ = aggregator_.flush();
    publish();
    return {};
  }

  SourceResult<std::vector<Sample>> query(const Check& check, TimePoint, std::chrono::steady_clock::time_point) override {
    const auto [name, stat] = split_query(check.query);
    auto samples = window_.samples(name, stat);
    if (!samples) return std::unexpected(SourceError::configuration(samples.error()));
    return std::move(*samples);
  }

  std::string link(const Check&) const override { return ""; }
  void interrupt() override {}
  bool absent_series_are_no_data() const override { return true; }

 private:
  // The listener's counts since the last run, into the source's counters and metrics.
  void publish() {
    const auto& c = listener_.counters();
    const std::uint64_t now[] = {c.malformed, c.dropped_series, c.dropped_datagrams, c.oversized_lines,
                                 c.refused_connections, c.timed_out_connections};
    static constexpr const char* kReasons[] = {"malformed", "series_limit", "receive_buffer", "line_too_long",
                                               "connection_limit", "tcp_timeout"};
    for (std::size_t i = 0; i < std::size(now); ++i) {
      const auto delta = now[i] - reported_[i];
      if (delta == 0) continue;
      dropped_.inc({kReasons[i]}, static_cast<double>(delta));
      runtime_->status().failed += delta;
      reported_[i] = now[i];
    }
    if (now[0] != 0 && now[0] != malformed_said_) {
      runtime_->status().set_error(std::to_string(now[0]) + " malformed StatsD lines so far");
      malformed_said_ = now[0];
    }
  }

  Aggregator aggregator_;
  Listener listener_;
  Window window_;
  SourceRuntime* runtime_ = nullptr;
  SourceMetrics::Counter dropped_;
  std::uint64_t reported_[6] = {};
  std::uint64_t malformed_said_ = 0;
};

}  // namespace

std::unique_ptr<Provider> make_provider(StatsdConfig config) { return std::make_unique<StatsdProvider>(std::move(config)); }

}  // namespace chatops::ingestion::metric::statsd
