// Compositor: fills an I420 canvas with a background colour and draws each input's crop
// rectangle scaled into its destination rectangle. Rectangles come from the layout engine
// (even coordinates and sizes); one call per output frame.
#include "av_util.h"
#include "codec_classes.h"

#include <cstring>

namespace ms {
namespace {

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
};

struct Layer {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  Rect crop, dest;
};

Rect ReadRect(const Napi::Value& v, const char* what) {
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Rect r{GetInt(o, "x", -1), GetInt(o, "y", -1), GetInt(o, "width", -1), GetInt(o, "height", -1)};
  if (r.x < 0 || r.y < 0 || r.w <= 0 || r.h <= 0 || (r.x | r.y | r.w | r.h) & 1)
    throw Napi::RangeError::New(v.Env(), std::string(what) + " must have even, non-negative x/y and positive size");
  return r;
}

class Compositor : public Napi::ObjectWrap<Compositor> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Compositor", DefineClass(env, "Compositor",
                                          {InstanceMethod("compose", &Compositor::Compose),
                                           InstanceMethod("close", &Compositor::Close)}));
  }

  explicit Compositor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Compositor>(info) {}
  ~Compositor() override { FreeScalers(); }

 private:
  // compose({width, height, background: [y, u, v]}, layers[]) → Promise<Buffer>
  Napi::Value Compose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsArray()) throw Napi::TypeError::New(env, "(canvas, layers[]) expected");
    Napi::Object canvas = info[0].As<Napi::Object>();
    int cw = GetInt(canvas, "width", 0), ch = GetInt(canvas, "height", 0);
    if (cw <= 0 || ch <= 0 || (cw | ch) & 1 || cw > 16384 || ch > 16384)
      throw Napi::RangeError::New(env, "canvas size must be positive and even");
    uint8_t bg[3] = {16, 128, 128};
    Napi::Value bgv = canvas.Get("background");
    if (bgv.IsArray()) {
      Napi::Array a = bgv.As<Napi::Array>();
      for (uint32_t i = 0; i < 3 && i < a.Length(); i++) bg[i] = uint8_t(a.Get(i).ToNumber().Uint32Value());
    }
    Napi::Array arr = info[1].As<Napi::Array>();
    std::vector<Layer> layers;
    std::vector<PinnedBytes> pins;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Object o = arr.Get(i).As<Napi::Object>();
      PinnedBytes pin = Pin(o.Get("data"), "layer data");
      Layer l;
      l.width = GetInt(o, "width", 0);
      l.height = GetInt(o, "height", 0);
      if (l.width <= 0 || l.height <= 0 || pin.size != I420Size(l.width, l.height))
        throw Napi::RangeError::New(env, "layer data does not match I420 width x height");
      l.crop = ReadRect(o.Get("crop"), "crop");
      l.dest = ReadRect(o.Get("dest"), "dest");
      if (l.crop.x + l.crop.w > l.width || l.crop.y + l.crop.h > l.height)
        throw Napi::RangeError::New(env, "crop outside the layer");
      if (l.dest.x + l.dest.w > cw || l.dest.y + l.dest.h > ch)
        throw Napi::RangeError::New(env, "dest outside the canvas");
      l.data = pin.data;
      layers.push_back(l);
      pins.push_back(std::move(pin));
    }
    return AsyncTask<Bytes>::Run(
        env, Value(), [this, cw, ch, bg0 = bg[0], bg1 = bg[1], bg2 = bg[2], layers]() {
          uint8_t bgc[3] = {bg0, bg1, bg2};
          return Draw(cw, ch, bgc, layers);
        },
        [](Napi::Env e, Bytes& out) -> Napi::Value { return ToBuffer(e, std::move(out)); }, std::move(pins));
  }

  Bytes Draw(int cw, int ch, const uint8_t bg[3], const std::vector<Layer>& layers) {
    std::lock_guard<std::mutex> lock(mu_);
    Bytes out(I420Size(cw, ch));
    size_t ySize = size_t(cw) * ch, cSize = size_t(cw / 2) * (ch / 2);
    std::memset(out.data(), bg[0], ySize);
    std::memset(out.data() + ySize, bg[1], cSize);
    std::memset(out.data() + ySize + cSize, bg[2], cSize);
    const uint8_t* cplanes[3];
    int cstrides[3];
    I420Planes(out.data(), cw, ch, cplanes, cstrides);
    if (scalers_.size() < layers.size()) scalers_.resize(layers.size(), nullptr);
    for (size_t i = 0; i < layers.size(); i++) {
      const Layer& l = layers[i];
      const uint8_t* sp[3];
      int ss[3];
      I420Planes(l.data, l.width, l.height, sp, ss);
      const uint8_t* src[4] = {sp[0] + size_t(l.crop.y) * ss[0] + l.crop.x,
                               sp[1] + size_t(l.crop.y / 2) * ss[1] + l.crop.x / 2,
                               sp[2] + size_t(l.crop.y / 2) * ss[2] + l.crop.x / 2, nullptr};
      int srcStride[4] = {ss[0], ss[1], ss[2], 0};
      uint8_t* dst[4] = {const_cast<uint8_t*>(cplanes[0]) + size_t(l.dest.y) * cstrides[0] + l.dest.x,
                         const_cast<uint8_t*>(cplanes[1]) + size_t(l.dest.y / 2) * cstrides[1] + l.dest.x / 2,
                         const_cast<uint8_t*>(cplanes[2]) + size_t(l.dest.y / 2) * cstrides[2] + l.dest.x / 2,
                         nullptr};
      int dstStride[4] = {cstrides[0], cstrides[1], cstrides[2], 0};
      if (l.crop.w == l.dest.w && l.crop.h == l.dest.h) {
        // Same size: a plain copy is several times faster than swscale's unscaled path.
        for (int p = 0; p < 3; p++) {
          int rows = p == 0 ? l.dest.h : l.dest.h / 2, cols = p == 0 ? l.dest.w : l.dest.w / 2;
          for (int y = 0; y < rows; y++)
            std::memcpy(dst[p] + size_t(y) * dstStride[p], src[p] + size_t(y) * srcStride[p], cols);
        }
        continue;
      }
      scalers_[i] = sws_getCachedContext(scalers_[i], l.crop.w, l.crop.h, AV_PIX_FMT_YUV420P, l.dest.w, l.dest.h,
                                         AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
      if (!scalers_[i]) throw CodecFailure("cannot create scaler");
      sws_scale(scalers_[i], src, srcStride, 0, l.crop.h, dst, dstStride);
    }
    return out;
  }

  void FreeScalers() {
    for (SwsContext* s : scalers_)
      if (s) sws_freeContext(s);
    scalers_.clear();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    FreeScalers();
    return info.Env().Undefined();
  }

  std::mutex mu_;
  std::vector<SwsContext*> scalers_;
};

}  // namespace

void InitCompositor(Napi::Env env, Napi::Object exports) { Compositor::Init(env, exports); }

}  // namespace ms
