// Video encoder: packed I420 in, encoded frames out, with real-time settings, a forced keyframe
// on request and bitrate changes at run time.
#include "av_util.h"
#include "codec_classes.h"

#include <cstring>
#include <map>

namespace ms {
namespace {

struct EncoderSettings {
  std::string codec;
  int width = 0, height = 0;
  int64_t bitrate = 500000;
  int framerate = 30;
  int keyframeInterval = 0;  // frames; 0 = only on request
  int cpuUsed = 8;
};

struct Encoded {
  Bytes data;
  int64_t pts = 0;
  bool keyframe = false;
};

class VideoEncoder : public Napi::ObjectWrap<VideoEncoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("VideoEncoder",
                DefineClass(env, "VideoEncoder",
                            {InstanceMethod("encode", &VideoEncoder::Encode),
                             InstanceMethod("setBitrate", &VideoEncoder::SetBitrate),
                             InstanceMethod("close", &VideoEncoder::Close)}));
  }

  explicit VideoEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoEncoder>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options expected");
    Napi::Object o = info[0].As<Napi::Object>();
    s_.codec = GetString(o, "codec", "");
    s_.width = GetInt(o, "width", 0);
    s_.height = GetInt(o, "height", 0);
    s_.bitrate = int64_t(GetNumber(o, "bitrate", 500000));
    s_.framerate = GetInt(o, "framerate", 30);
    s_.keyframeInterval = GetInt(o, "keyframeInterval", 0);
    s_.cpuUsed = GetInt(o, "cpuUsed", 8);
    if (s_.width <= 0 || s_.height <= 0 || (s_.width & 1) || (s_.height & 1))
      throw Napi::RangeError::New(env, "width and height must be positive and even");
    if (s_.framerate <= 0 || s_.bitrate <= 0) throw Napi::RangeError::New(env, "bad framerate or bitrate");
    try {
      Open();
    } catch (const CodecFailure& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  void Open() {
    const char* name = s_.codec == "vp8"    ? "libvpx"
                       : s_.codec == "vp9"  ? "libvpx-vp9"
                       : s_.codec == "h264" ? "libx264"
                                            : nullptr;
    const AVCodec* enc = name ? avcodec_find_encoder_by_name(name) : nullptr;
    if (!enc) throw CodecFailure("no encoder for " + s_.codec);
    CodecContextPtr c(avcodec_alloc_context3(enc));
    if (!c) throw CodecFailure("out of memory");
    c->width = s_.width;
    c->height = s_.height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    // Frame-counter time base: rate control sees a steady cadence whatever the input clock is.
    c->time_base = AVRational{1, s_.framerate};
    c->framerate = AVRational{s_.framerate, 1};
    c->bit_rate = s_.bitrate;
    c->rc_max_rate = s_.bitrate;
    c->rc_buffer_size = int(s_.bitrate);  // one second of VBV keeps the output close to real time
    c->gop_size = s_.keyframeInterval > 0 ? s_.keyframeInterval : 100000;
    c->max_b_frames = 0;
    c->thread_count = 1;
    AVDictionary* opts = nullptr;
    if (s_.codec == "vp8" || s_.codec == "vp9") {
      av_dict_set(&opts, "deadline", "realtime", 0);
      av_dict_set_int(&opts, "cpu-used", s_.cpuUsed, 0);
      av_dict_set_int(&opts, "lag-in-frames", 0, 0);
      av_dict_set(&opts, "error-resilient", "default", 0);
      c->qmin = 4;
      c->qmax = 56;
      if (s_.codec == "vp9") av_dict_set_int(&opts, "row-mt", 0, 0);
    } else {
      av_dict_set(&opts, "preset", "ultrafast", 0);
      av_dict_set(&opts, "tune", "zerolatency", 0);
      av_dict_set_int(&opts, "forced-idr", 1, 0);
      if (s_.keyframeInterval <= 0) av_dict_set(&opts, "x264-params", "scenecut=0", 0);
    }
    int err = avcodec_open2(c.get(), enc, &opts);
    av_dict_free(&opts);
    if (err < 0) ThrowAv("cannot open encoder " + s_.codec, err);
    ctx_ = std::move(c);
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PinnedBytes in = Pin(info[0], "picture");
    if (in.size != I420Size(s_.width, s_.height))
      throw Napi::RangeError::New(env, "picture size does not match the encoder's width x height (I420)");
    int64_t pts = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
    bool forceKey = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    const uint8_t* data = in.data;
    std::vector<PinnedBytes> pins;
    pins.push_back(std::move(in));
    return AsyncTask<std::vector<Encoded>>::Run(
        env, Value(), [this, data, pts, forceKey]() { return Run(data, pts, forceKey); }, ToJs,
        std::move(pins));
  }

  Napi::Value SetBitrate(const Napi::CallbackInfo& info) {
    double bps = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (bps <= 0) throw Napi::RangeError::New(info.Env(), "bitrate must be positive");
    std::lock_guard<std::mutex> lock(mu_);
    pendingBitrate_ = int64_t(bps);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_.reset();
    return info.Env().Undefined();
  }

  void ApplyBitrate() {
    if (pendingBitrate_ <= 0 || pendingBitrate_ == s_.bitrate) return;
    s_.bitrate = pendingBitrate_;
    pendingBitrate_ = 0;
    if (s_.codec == "h264") {
      // libx264 reconfigures itself when these change between frames.
      ctx_->bit_rate = s_.bitrate;
      ctx_->rc_max_rate = s_.bitrate;
      ctx_->rc_buffer_size = int(s_.bitrate);
      return;
    }
    // FFmpeg's libvpx wrapper does not pass a new target on; reopen (the next frame is a keyframe).
    ctx_.reset();
    Open();
  }

  std::vector<Encoded> Run(const uint8_t* data, int64_t pts, bool forceKey) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ctx_) throw CodecFailure("encoder closed");
    ApplyBitrate();
    FramePtr frame = NewFrame();
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = s_.width;
    frame->height = s_.height;
    const uint8_t* planes[3];
    int strides[3];
    I420Planes(data, s_.width, s_.height, planes, strides);
    for (int i = 0; i < 3; i++) {
      frame->data[i] = const_cast<uint8_t*>(planes[i]);  // read only by the encoder
      frame->linesize[i] = strides[i];
    }
    frame->pts = counter_++;
    ptsByCounter_[frame->pts] = pts;
    if (forceKey) {
      frame->pict_type = AV_PICTURE_TYPE_I;
#if LIBAVCODEC_VERSION_MAJOR < 61
      frame->key_frame = 1;
#else
      frame->flags |= AV_FRAME_FLAG_KEY;
#endif
    }
    int err = avcodec_send_frame(ctx_.get(), frame.get());
    if (err < 0) ThrowAv("encode", err);
    std::vector<Encoded> out;
    PacketPtr pkt = NewPacket();
    for (;;) {
      err = avcodec_receive_packet(ctx_.get(), pkt.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) break;
      if (err < 0) ThrowAv("encode", err);
      Encoded e;
      e.data.assign(pkt->data, pkt->data + pkt->size);
      e.keyframe = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      auto it = ptsByCounter_.find(pkt->pts);
      e.pts = it == ptsByCounter_.end() ? pts : it->second;
      // Entries up to this one are done (no reordering: no B-frames).
      ptsByCounter_.erase(ptsByCounter_.begin(), ptsByCounter_.upper_bound(pkt->pts));
      out.push_back(std::move(e));
      av_packet_unref(pkt.get());
    }
    while (ptsByCounter_.size() > 64) ptsByCounter_.erase(ptsByCounter_.begin());
    return out;
  }

  static Napi::Value ToJs(Napi::Env env, std::vector<Encoded>& packets) {
    Napi::Array arr = Napi::Array::New(env, packets.size());
    for (size_t i = 0; i < packets.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("pts", Napi::Number::New(env, double(packets[i].pts)));
      o.Set("keyframe", packets[i].keyframe);
      o.Set("data", ToBuffer(env, std::move(packets[i].data)));
      arr.Set(uint32_t(i), o);
    }
    return arr;
  }

  std::mutex mu_;
  EncoderSettings s_;
  CodecContextPtr ctx_;
  int64_t pendingBitrate_ = 0;
  int64_t counter_ = 0;
  std::map<int64_t, int64_t> ptsByCounter_;
};

}  // namespace

void InitVideoEncoder(Napi::Env env, Napi::Object exports) { VideoEncoder::Init(env, exports); }

}  // namespace ms
