// Video decoder: encoded frames (VP8/VP9/H264/AV1) in, packed I420 pictures out.
#include "av_util.h"
#include "codec_classes.h"

#include <cstring>

namespace ms {
namespace {

struct Picture {
  int width = 0, height = 0;
  int64_t pts = 0;
  Bytes data;
};

const AVCodec* FindVideoDecoder(const std::string& codec) {
  if (codec == "vp8") return avcodec_find_decoder_by_name("vp8");
  if (codec == "vp9") return avcodec_find_decoder_by_name("vp9");
  if (codec == "h264") return avcodec_find_decoder_by_name("h264");
  if (codec == "av1") {
    for (const char* n : {"libdav1d", "libaom-av1", "av1"})
      if (const AVCodec* c = avcodec_find_decoder_by_name(n)) return c;
  }
  return nullptr;
}

class VideoDecoder : public Napi::ObjectWrap<VideoDecoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("VideoDecoder",
                DefineClass(env, "VideoDecoder",
                            {InstanceMethod("decode", &VideoDecoder::Decode),
                             InstanceMethod("flush", &VideoDecoder::Flush),
                             InstanceMethod("close", &VideoDecoder::Close)}));
  }

  explicit VideoDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoDecoder>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "codec name expected");
    std::string codec = info[0].As<Napi::String>();
    dec_ = FindVideoDecoder(codec);
    if (!dec_) throw Napi::Error::New(env, "no decoder for " + codec);
    std::string error = Open();
    if (!error.empty()) throw Napi::Error::New(env, error);
  }

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    // Copied: the packet needs FFmpeg's zeroed padding after the payload anyway.
    PinnedBytes in = Pin(info[0], "payload");
    auto payload = std::make_shared<Bytes>(in.data, in.data + in.size);
    int64_t pts = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
    return AsyncTask<std::vector<Picture>>::Run(
        env, Value(), [this, payload, pts]() { return Run(payload.get(), pts); }, ToJs);
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    return AsyncTask<std::vector<Picture>>::Run(
        info.Env(), Value(), [this]() { return Run(nullptr, 0); }, ToJs);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_.reset();
    return info.Env().Undefined();
  }

  std::vector<Picture> Run(const Bytes* payload, int64_t pts) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ctx_) throw CodecFailure("decoder closed");
    try {
      std::vector<Picture> out = DecodeLocked(payload, pts);
      if (!payload) avcodec_flush_buffers(ctx_.get());  // drained: ready for a new stream
      return out;
    } catch (...) {
      // A damaged frame can leave the decoder stuck in ways avcodec_flush_buffers does not
      // clear (seen with VP9: every later packet refused with EINVAL), so start from a fresh
      // context. The caller asks for a keyframe, as after any loss.
      std::string error = Open();
      if (!error.empty()) ctx_.reset();
      throw;
    }
  }

  /** (Re)creates the codec context; returns an error text, empty on success. */
  std::string Open() {
    ctx_.reset(avcodec_alloc_context3(dec_));
    if (!ctx_) return "out of memory";
    ctx_->thread_count = 1;  // one core per node; parallelism comes from more nodes
    int err = avcodec_open2(ctx_.get(), dec_, nullptr);
    if (err < 0) {
      ctx_.reset();
      return "cannot open decoder: " + AvErrorText(err);
    }
    return "";
  }

  std::vector<Picture> DecodeLocked(const Bytes* payload, int64_t pts) {
    PacketPtr pkt = NewPacket();
    if (payload) {
      if (payload->empty()) return {};
      int err = av_new_packet(pkt.get(), int(payload->size()));
      if (err < 0) ThrowAv("packet", err);
      std::memcpy(pkt->data, payload->data(), payload->size());
      pkt->pts = pts;
    }
    int err = avcodec_send_packet(ctx_.get(), payload ? pkt.get() : nullptr);
    if (err < 0 && err != AVERROR_EOF) ThrowAv("decode", err);
    std::vector<Picture> out;
    FramePtr frame = NewFrame();
    for (;;) {
      err = avcodec_receive_frame(ctx_.get(), frame.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) break;
      if (err < 0) ThrowAv("decode", err);
      out.push_back(ToI420(frame.get()));
      av_frame_unref(frame.get());
    }
    return out;
  }

  Picture ToI420(const AVFrame* f) {
    Picture p;
    p.width = f->width;
    p.height = f->height;
    p.pts = f->pts == AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (p.width <= 0 || p.height <= 0) throw CodecFailure("decoder produced an empty picture");
    p.data.resize(I420Size(p.width, p.height));
    const uint8_t* planes[3];
    int strides[3];
    if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
      for (int i = 0; i < 3; i++) {
        planes[i] = f->data[i];
        strides[i] = f->linesize[i];
      }
      CopyPlanesToI420(planes, strides, p.width, p.height, p.data.data());
      return p;
    }
    // Other layouts (4:4:4, 10-bit…) are converted so that callers only ever see I420.
    sws_ = sws_getCachedContext(sws_, p.width, p.height, AVPixelFormat(f->format), p.width, p.height,
                                AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws_) throw CodecFailure("unsupported pixel format");
    uint8_t* dst[4];
    int dstStride[4] = {0, 0, 0, 0};
    const uint8_t* cdst[3];
    I420Planes(p.data.data(), p.width, p.height, cdst, dstStride);
    for (int i = 0; i < 3; i++) dst[i] = const_cast<uint8_t*>(cdst[i]);
    dst[3] = nullptr;
    sws_scale(sws_, f->data, f->linesize, 0, p.height, dst, dstStride);
    return p;
  }

  static Napi::Value ToJs(Napi::Env env, std::vector<Picture>& pics) {
    Napi::Array arr = Napi::Array::New(env, pics.size());
    for (size_t i = 0; i < pics.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("width", pics[i].width);
      o.Set("height", pics[i].height);
      o.Set("pts", Napi::Number::New(env, double(pics[i].pts)));
      o.Set("data", ToBuffer(env, std::move(pics[i].data)));
      arr.Set(uint32_t(i), o);
    }
    return arr;
  }

 public:
  ~VideoDecoder() override {
    if (sws_) sws_freeContext(sws_);
  }

 private:
  std::mutex mu_;
  CodecContextPtr ctx_;
  const AVCodec* dec_ = nullptr;
  SwsContext* sws_ = nullptr;
};

}  // namespace

void InitVideoDecoder(Napi::Env env, Napi::Object exports) { VideoDecoder::Init(env, exports); }

}  // namespace ms
