#include "ingestion/journal/compression.hpp"

#include <memory>

#include <lz4frame.h>
#include <zstd.h>

namespace chatops::ingestion::compression {

namespace {

// Larger claimed sizes are refused rather than allocated (http.max_body is at most 1 GiB).
constexpr unsigned long long kMaxText = 1ull << 30;

struct ContextFree {
  void operator()(LZ4F_cctx* c) const { LZ4F_freeCompressionContext(c); }
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

// Kept per thread: a fresh one (as LZ4F_compressFrame makes on its stack) zero-fills its 16 KiB
// hash table each time, which cost more than compressing a small payload; a reused one is reset
// without that.
LZ4F_cctx* lz4_compression_context() {
  thread_local std::unique_ptr<LZ4F_cctx, ContextFree> context([] {
    LZ4F_cctx* c = nullptr;
    return LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)) ? nullptr : c;
  }());
  return context.get();
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
  auto* context = lz4_compression_context();
  if (!context) return {};
  LZ4F_preferences_t preferences = LZ4F_INIT_PREFERENCES;
  preferences.frameInfo.contentSize = text.size();  // lets decompress() allocate once
  // Each block written as it comes, compressed on its own: the context then keeps no buffer.
  preferences.autoFlush = 1;
  preferences.frameInfo.blockMode = LZ4F_blockIndependent;
  std::string frame;
  bool failed = false;
  // Written by LZ4 directly (no zero-filling first), within the bound of a whole frame.
  frame.resize_and_overwrite(LZ4F_compressFrameBound(text.size(), &preferences), [&](char* out, std::size_t bound) {
    std::size_t written = 0;
    auto step = [&](std::size_t n) {
      failed = failed || LZ4F_isError(n);
      if (!failed) written += n;
    };
    step(LZ4F_compressBegin(context, out, bound, &preferences));
    if (!failed) step(LZ4F_compressUpdate(context, out + written, bound - written, text.data(), text.size(), nullptr));
    if (!failed) step(LZ4F_compressEnd(context, out + written, bound - written, nullptr));
    return failed ? 0 : written;
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
