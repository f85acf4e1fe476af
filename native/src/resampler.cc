// Resampler: interleaved s16 at one rate/channel count to another (libswresample). Keeps its
// filter state between calls, so a stream converts without seams.
#include "av_util.h"
#include "codec_classes.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace ms {
namespace {

class Resampler : public Napi::ObjectWrap<Resampler> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Resampler", DefineClass(env, "Resampler",
                                         {InstanceMethod("convert", &Resampler::Convert),
                                          InstanceMethod("close", &Resampler::Close)}));
  }

  // new Resampler({inRate, inChannels, outRate, outChannels})
  explicit Resampler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Resampler>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options expected");
    Napi::Object o = info[0].As<Napi::Object>();
    inRate_ = GetInt(o, "inRate", 0);
    outRate_ = GetInt(o, "outRate", 0);
    inChannels_ = GetInt(o, "inChannels", 1);
    outChannels_ = GetInt(o, "outChannels", 1);
    if (inRate_ <= 0 || outRate_ <= 0 || inChannels_ < 1 || inChannels_ > 8 || outChannels_ < 1 || outChannels_ > 8)
      throw Napi::RangeError::New(env, "bad rates or channel counts");
    AVChannelLayout inLayout, outLayout;
    av_channel_layout_default(&inLayout, inChannels_);
    av_channel_layout_default(&outLayout, outChannels_);
    SwrContext* s = nullptr;
    int err = swr_alloc_set_opts2(&s, &outLayout, AV_SAMPLE_FMT_S16, outRate_, &inLayout, AV_SAMPLE_FMT_S16,
                                  inRate_, 0, nullptr);
    // Mono up-mix copies the voice to every channel at full level (swr's default is -3 dB each).
    if (err >= 0 && inChannels_ == 1 && outChannels_ > 1) {
      std::vector<double> matrix(outChannels_, 1.0);
      err = swr_set_matrix(s, matrix.data(), 1);
    }
    if (err < 0 || swr_init(s) < 0) {
      swr_free(&s);
      throw Napi::Error::New(env, "cannot set up resampler");
    }
    swr_.reset(s);
  }

 private:
  Napi::Value Convert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "samples must be an Int16Array");
    PinnedBytes in = Pin(info[0], "samples");
    if ((in.size / 2) % inChannels_ != 0) throw Napi::RangeError::New(env, "sample count is not a multiple of channels");
    const int16_t* data = reinterpret_cast<const int16_t*>(in.data);
    int n = int(in.size / 2 / inChannels_);
    std::vector<PinnedBytes> pins;
    pins.push_back(std::move(in));
    return AsyncTask<std::vector<int16_t>>::Run(
        env, Value(),
        [this, data, n]() {
          std::lock_guard<std::mutex> lock(mu_);
          if (!swr_) throw CodecFailure("resampler closed");
          int cap = swr_get_out_samples(swr_.get(), n);
          std::vector<int16_t> out(size_t(cap > 0 ? cap : 0) * outChannels_);
          if (cap <= 0) return out;
          uint8_t* o[1] = {reinterpret_cast<uint8_t*>(out.data())};
          const uint8_t* i[1] = {reinterpret_cast<const uint8_t*>(data)};
          int got = swr_convert(swr_.get(), o, cap, n > 0 ? i : nullptr, n);
          if (got < 0) throw CodecFailure("resampling failed");
          out.resize(size_t(got) * outChannels_);
          return out;
        },
        [](Napi::Env e, std::vector<int16_t>& out) -> Napi::Value { return ToInt16Array(e, std::move(out)); },
        std::move(pins));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    swr_.reset();
    return info.Env().Undefined();
  }

  std::mutex mu_;
  SwrPtr swr_;
  int inRate_ = 0, outRate_ = 0, inChannels_ = 1, outChannels_ = 1;
};

}  // namespace

void InitResampler(Napi::Env env, Napi::Object exports) { Resampler::Init(env, exports); }

}  // namespace ms
