#include "ingestion/journal/compression.hpp"

#include <memory>

#include <zstd.h>

namespace chatops::ingestion::compression {

namespace {

// Fastest level: the ratio barely improves above it on JSON, the time does not.
constexpr int kLevel = 1;
// Larger claimed sizes are refused rather than allocated (the receiver's max_body is at most 1 GiB).
constexpr unsigned long long kMaxText = 1ull << 30;

struct ContextFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

}  // namespace

std::string compress(std::string_view text) {
  if (text.empty()) return {};
  // One context per thread: creating one per call costs more than compressing a webhook.
  thread_local std::unique_ptr<ZSTD_CCtx, ContextFree> context(ZSTD_createCCtx());
  std::string frame(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compressCCtx(context.get(), frame.data(), frame.size(), text.data(), text.size(), kLevel);
  if (ZSTD_isError(n)) return {};  // only on allocation failure; an empty payload then
  frame.resize(n);
  return frame;
}

std::optional<std::string> decompress(std::string_view frame) {
  if (frame.empty()) return std::string();
  const auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxText) return std::nullopt;
  thread_local std::unique_ptr<ZSTD_DCtx, ContextFree> context(ZSTD_createDCtx());
  std::string text(size, '\0');
  const size_t n = ZSTD_decompressDCtx(context.get(), text.data(), text.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return std::nullopt;
  return text;
}

}  // namespace chatops::ingestion::compression
