// Scaler: packed I420 of one size to packed I420 of another (libswscale, bilinear).
#include "av_util.h"
#include "codec_classes.h"

namespace ms {
namespace {

class Scaler : public Napi::ObjectWrap<Scaler> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Scaler", DefineClass(env, "Scaler",
                                      {InstanceMethod("scale", &Scaler::Scale),
                                       InstanceMethod("close", &Scaler::Close)}));
  }

  explicit Scaler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Scaler>(info) {}
  ~Scaler() override {
    if (sws_) sws_freeContext(sws_);
  }

 private:
  // scale(data, srcWidth, srcHeight, dstWidth, dstHeight) → Promise<Buffer>
  Napi::Value Scale(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PinnedBytes in = Pin(info[0], "picture");
    int sw = info[1].ToNumber().Int32Value(), sh = info[2].ToNumber().Int32Value();
    int dw = info[3].ToNumber().Int32Value(), dh = info[4].ToNumber().Int32Value();
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || dw > 16384 || dh > 16384)
      throw Napi::RangeError::New(env, "bad dimensions");
    if (in.size != I420Size(sw, sh)) throw Napi::RangeError::New(env, "picture size does not match I420 w x h");
    const uint8_t* data = in.data;
    std::vector<PinnedBytes> pins;
    pins.push_back(std::move(in));
    return AsyncTask<Bytes>::Run(
        env, Value(),
        [this, data, sw, sh, dw, dh]() {
          std::lock_guard<std::mutex> lock(mu_);
          sws_ = sws_getCachedContext(sws_, sw, sh, AV_PIX_FMT_YUV420P, dw, dh, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                                      nullptr, nullptr, nullptr);
          if (!sws_) throw CodecFailure("cannot create scaler");
          Bytes out(I420Size(dw, dh));
          const uint8_t* src[3];
          int srcStride[3];
          I420Planes(data, sw, sh, src, srcStride);
          const uint8_t* cdst[3];
          int dstStride[4] = {0, 0, 0, 0};
          I420Planes(out.data(), dw, dh, cdst, dstStride);
          uint8_t* dst[4] = {const_cast<uint8_t*>(cdst[0]), const_cast<uint8_t*>(cdst[1]),
                             const_cast<uint8_t*>(cdst[2]), nullptr};
          const uint8_t* srcs[4] = {src[0], src[1], src[2], nullptr};
          int srcStrides[4] = {srcStride[0], srcStride[1], srcStride[2], 0};
          sws_scale(sws_, srcs, srcStrides, 0, sh, dst, dstStride);
          return out;
        },
        [](Napi::Env e, Bytes& out) -> Napi::Value { return ToBuffer(e, std::move(out)); }, std::move(pins));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    if (sws_) sws_freeContext(sws_);
    sws_ = nullptr;
    return info.Env().Undefined();
  }

  std::mutex mu_;
  SwsContext* sws_ = nullptr;
};

}  // namespace

void InitScaler(Napi::Env env, Napi::Object exports) { Scaler::Init(env, exports); }

}  // namespace ms
