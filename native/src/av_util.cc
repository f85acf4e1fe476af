#include "av_util.h"

#include <cstring>

extern "C" {
#include <libavutil/error.h>
}

namespace ms {

std::string AvErrorText(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

void ThrowAv(const std::string& what, int err) { throw CodecFailure(what + ": " + AvErrorText(err)); }

FramePtr NewFrame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw CodecFailure("out of memory (AVFrame)");
  return f;
}

PacketPtr NewPacket() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw CodecFailure("out of memory (AVPacket)");
  return p;
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, Bytes&& bytes) {
  if (bytes.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new Bytes(std::move(bytes));
  return Napi::Buffer<uint8_t>::New(env, owned->data(), owned->size(),
                                    [](Napi::Env, uint8_t*, Bytes* b) { delete b; }, owned);
}

Napi::Int16Array ToInt16Array(Napi::Env env, std::vector<int16_t>&& samples) {
  size_t n = samples.size();
  Napi::ArrayBuffer ab;
  if (n == 0) {
    ab = Napi::ArrayBuffer::New(env, 0);
  } else {
    auto* owned = new std::vector<int16_t>(std::move(samples));
    ab = Napi::ArrayBuffer::New(env, owned->data(), n * sizeof(int16_t),
                                [](Napi::Env, void*, std::vector<int16_t>* v) { delete v; }, owned);
  }
  return Napi::Int16Array::New(env, n, ab, 0);
}

PinnedBytes Pin(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a typed array");
  Napi::TypedArray ta = value.As<Napi::TypedArray>();
  PinnedBytes pin;
  pin.data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  pin.size = ta.ByteLength();
  pin.ref = Napi::Persistent(ta);
  return pin;
}

void CopyPlanesToI420(const uint8_t* const src[3], const int srcStride[3], int w, int h, uint8_t* dst) {
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  for (int y = 0; y < h; y++) std::memcpy(dst + size_t(y) * w, src[0] + size_t(y) * srcStride[0], w);
  uint8_t* u = dst + size_t(w) * h;
  uint8_t* v = u + size_t(cw) * ch;
  for (int y = 0; y < ch; y++) {
    std::memcpy(u + size_t(y) * cw, src[1] + size_t(y) * srcStride[1], cw);
    std::memcpy(v + size_t(y) * cw, src[2] + size_t(y) * srcStride[2], cw);
  }
}

void I420Planes(const uint8_t* base, int w, int h, const uint8_t* planes[3], int strides[3]) {
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  planes[0] = base;
  planes[1] = base + size_t(w) * h;
  planes[2] = planes[1] + size_t(cw) * ch;
  strides[0] = w;
  strides[1] = cw;
  strides[2] = cw;
}

int GetInt(const Napi::Object& o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

double GetNumber(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

}  // namespace ms
