#include "ingestion/journal/compression.hpp"

#include <memory>

#include <lz4frame.h>
#include <zstd.h>

namespace chatops::ingestion::compression {

namespace {

// Larger claimed sizes are refused rather than allocated (http.max_body is at most 1 GiB).
constexpr unsigned long long kMaxText = 1ull << 30;

struct ContextFree {
  void operator()(LZ4F_dctx* c) const { LZ4F_freeDecompressionContext(c); }
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

bool is_zstd(std::string_view frame) {
  return frame.size() >= 4 && static_cast<unsigned char>(frame[0]) == 0x28 &&
         static_cast<unsigned char>(frame[1]) == 0xB5 && static_cast<unsigned char>(frame[2]) == 0x2F &&
         static_cast<unsigned char>(frame[3]) == 0xFD;
}

std::optional<std::string> decompress_zstd(std::string_view frame) {
  const auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxText) return std::nullopt;
  thread_local std::unique_ptr<ZSTD_DCtx, ContextFree> context(ZSTD_createDCtx());
  std::string text(size, '\0');
  const size_t n = ZSTD_decompressDCtx(context.get(), text.data(), text.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return std::nullopt;
  return text;
}

LZ4F_dctx* lz4_decompression_context() {
  thread_local std::unique_ptr<LZ4F_dctx, ContextFree> context([] {
    LZ4F_dctx* c = nullptr;
    return LZ4F_isError(LZ4F_createDecompressionContext(&c, LZ4F_VERSION)) ? nullptr : c;
  }());
  return context.get();
}

}  // namespace

std::string compress(std::string_view text) {
  if (text.empty()) return {};
  LZ4F_preferences_t preferences = LZ4F_INIT_PREFERENCES;
  preferences.frameInfo.contentSize = text.size();  // lets decompress() allocate once
  std::string frame;
  bool failed = false;
  // Written by LZ4 directly (no zero-filling first); its state lives on the stack.
  frame.resize_and_overwrite(LZ4F_compressFrameBound(text.size(), &preferences), [&](char* out, std::size_t bound) {
    const size_t n = LZ4F_compressFrame(out, bound, text.data(), text.size(), &preferences);
    failed = LZ4F_isError(n);
    return failed ? 0 : n;
  });
  if (failed) return {};
  return frame;
}

std::optional<std::string> decompress(std::string_view frame) {
  if (frame.empty()) return std::string();
  if (is_zstd(frame)) return decompress_zstd(frame);
  auto* context = lz4_decompression_context();
  if (!context) return std::nullopt;
  LZ4F_resetDecompressionContext(context);
  LZ4F_frameInfo_t info{};
  std::size_t header = frame.size();
  if (LZ4F_isError(LZ4F_getFrameInfo(context, &info, frame.data(), &header)) || info.contentSize == 0 ||
      info.contentSize > kMaxText)
    return std::nullopt;
  std::string text;
  bool whole = false;
  const auto size = static_cast<std::size_t>(info.contentSize);
  // The callback's own size argument is not used: libstdc++ 12 passes the capacity (30 for 28).
  text.resize_and_overwrite(size, [&](char* out, std::size_t) {
    std::size_t written = size, in = frame.size() - header;
    const size_t hint = LZ4F_decompress(context, out, &written, frame.data() + header, &in, nullptr);
    whole = !LZ4F_isError(hint) && hint == 0 && written == size && header + in == frame.size();
    return whole ? written : 0;
  });
  if (!whole) return std::nullopt;
  return text;
}

}  // namespace chatops::ingestion::compression
