// Shared helpers: FFmpeg RAII, error text, and the Promise-returning async task that keeps codec
// work off the event loop.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace ms {

// Any failure inside codec work; becomes a rejected Promise (CodecError on the TS side).
class CodecFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string AvErrorText(int err);
[[noreturn]] void ThrowAv(const std::string& what, int err);

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

FramePtr NewFrame();
PacketPtr NewPacket();

// Bytes produced on a worker thread, handed to JS without a copy.
using Bytes = std::vector<uint8_t>;
Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, Bytes&& bytes);
Napi::Int16Array ToInt16Array(Napi::Env env, std::vector<int16_t>&& samples);

// A JS Uint8Array/Int16Array kept alive (and not copied) while a worker reads it. Callers must
// not mutate it until the returned Promise settles.
struct PinnedBytes {
  Napi::Reference<Napi::TypedArray> ref;
  const uint8_t* data = nullptr;
  size_t size = 0;
};
PinnedBytes Pin(const Napi::Value& value, const char* what);

// Tightly packed I420 layout: Y (w*h), then U and V ((w+1)/2 * (h+1)/2 each).
inline size_t I420Size(int w, int h) {
  size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  return size_t(w) * h + 2 * cw * ch;
}
// Copies any decoded/scaled picture plane set into a packed I420 buffer.
void CopyPlanesToI420(const uint8_t* const src[3], const int srcStride[3], int w, int h, uint8_t* dst);
// Plane pointers/strides of a packed I420 buffer.
void I420Planes(const uint8_t* base, int w, int h, const uint8_t* planes[3], int strides[3]);

int GetInt(const Napi::Object& o, const char* key, int fallback);
double GetNumber(const Napi::Object& o, const char* key, double fallback);
std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback);

// Runs `exec` on the libuv pool; resolves with `convert(result)` on the JS thread. `owner` is
// held so that the codec object outlives the task.
template <typename Result>
class AsyncTask : public Napi::AsyncWorker {
 public:
  using Exec = std::function<Result()>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  static Napi::Promise Run(Napi::Env env, Napi::Object owner, Exec exec, Convert convert,
                           std::vector<PinnedBytes> pins = {}) {
    auto* task = new AsyncTask(env, owner, std::move(exec), std::move(convert), std::move(pins));
    Napi::Promise promise = task->deferred_.Promise();
    task->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_ = exec_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(convert_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  AsyncTask(Napi::Env env, Napi::Object owner, Exec exec, Convert convert, std::vector<PinnedBytes> pins)
      : Napi::AsyncWorker(env, "mediaspread:codec"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(Napi::Persistent(owner)),
        exec_(std::move(exec)),
        convert_(std::move(convert)),
        pins_(std::move(pins)) {}

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  Exec exec_;
  Convert convert_;
  std::vector<PinnedBytes> pins_;
  Result result_{};
};

}  // namespace ms
