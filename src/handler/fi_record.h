/*
 * fi_record.h - one Rekognition face-search record -> sightings -> items.
 *
 * Owns: the shape check of a decoded face-search record (formats.md §1),
 * the item model (one item per matched face, attribute names below), its
 * two renderings (request text for the hot path, a jansson object for the
 * modes that edit items), and the deterministic sighting id.  No I/O.
 *
 * Item attributes, in this order (S unless noted; '?' = only when present):
 *   id                 sighting id, see fi_sighting_id()
 *   ItemType           "sighting"
 *   FaceId, ImageId?, ExternalImageId?
 *   Similarity, Confidence? (N)  the match's values, text as in the record
 *   FaceIndex, MatchIndex (N)   positions in FaceSearchResponse/MatchedFaces
 *   SequenceNumber, ShardId?, PartitionKey?, EventSourceArn? (Kinesis record)
 *   ArrivalTimestamp? (N)       approximateArrivalTimestamp
 *   VideoStreamArn?, FragmentNumber?                InputInformation.KinesisVideo
 *   ServerTimestamp?, ProducerTimestamp?, FrameOffsetInSeconds? (N), likewise
 *   FrameTimestamp? (N)         ProducerTimestamp + FrameOffsetInSeconds, ms
 *                               precision (else ServerTimestamp, else arrival)
 *   DetectedFaceConfidence? (N), DetectedFaceBoundingBox? (M of N:
 *                               Width, Height, Left, Top)
 */
#ifndef FI_RECORD_H
#define FI_RECORD_H

#include <jansson.h>
#include <stddef.h>

#include "fi_jdoc.h"
#include "../common/jtext.h"

/* The Kinesis side of one event record; all strings borrowed, never NULL. */
typedef struct fi_kctx {
    const char *event_source_arn;
    const char *sequence_number;
    const char *shard_id;
    const char *partition_key;
    const char *arrival;      /* number text, "" when absent */
} fi_kctx;

/* Longest string value accepted in a record (Rekognition's own limits are
 * far lower: ExternalImageId <= 255); longer values make the record invalid
 * instead of failing the DynamoDB write later. */
#define FI_MAX_STRING 2048

/* The DetectedFace numbers of one FaceSearchResponse element ("" = absent). */
typedef struct fi_face {
    char confidence[64];
    char box[4][64];          /* Width, Height, Left, Top */
} fi_face;

/* One record: its Kinesis context and what its items share.  The strings
 * point into `text` (the decoded data, parsed in place) or the event. */
typedef struct fi_rec {
    fi_kctx k;
    char shard[256], arrival[64];  /* what k.shard_id and k.arrival point to */
    int shard_ok;             /* shard is valid UTF-8 (a cut eventID may not be) */
    char *text;               /* owned */
    const char *stream_arn, *fragment;  /* NULL when absent */
    char server[64], producer[64], offset[64], frame_time[64];
    fi_face *faces;           /* owned, one per FaceSearchResponse element */
    size_t nfaces;
} fi_rec;

/* One matched face. */
typedef struct fi_sighting {
    size_t rec, face, match;  /* record index in the batch; positions in the record */
    const char *face_id, *image_id, *ext;  /* image_id/ext NULL when absent */
    char id[33];
    char sim[64], conf[64];   /* conf "" when absent */
} fi_sighting;

typedef struct fi_sightings {
    fi_sighting *v;           /* owned */
    size_t n, cap;
} fi_sightings;

#define FI_RECORD_NOT_JSON (-2)

/*
 * Parse r->text[0..len) in place (r->k filled by the caller) and append one
 * sighting per matched face to out, tagged with record index ri.  Returns
 * the number appended (0 is valid: no faces, or faces without matches);
 * -1 when it is not a face-search record, with the reason in why[0..whylen);
 * FI_RECORD_NOT_JSON when the text is not JSON (no reason: the text is no
 * longer pristine, see fi_record_json_error).  Nothing is appended on
 * failure.  doc is scratch reused across records.
 */
int fi_record_parse(fi_rec *r, size_t len, size_t ri, fi_jdoc *doc, fi_sightings *out,
                    char *why, size_t whylen);
/* The reason for pristine text that is not JSON: jansson's message. */
void fi_record_json_error(const char *text, size_t len, char *why, size_t whylen);
/* Free what r owns. */
void fi_rec_clear(fi_rec *r);

/* Append the item of s (a JSON object, compact) to t. */
void fi_item_text(jtext_buf *t, const fi_sighting *s, const fi_rec *r);
/* The item of s as a jansson object (new reference; NULL when out of memory). */
json_t *fi_item_json(const fi_sighting *s, const fi_rec *r);

/*
 * The id of a sighting: the first 32 hex digits of
 * SHA-256("v1\n" stream "\n" seq "\n" face "\n" match).  Equal inputs give
 * equal ids (a redelivered batch rewrites the same items); distinct inputs
 * give distinct ids.
 */
void fi_sighting_id(const char *stream_arn, const char *seq, size_t face, size_t match,
                    char out[33]);

/* "person#<ExternalImageId>", or "face#<FaceId>" without one; caller frees. */
char *fi_person_key(const json_t *item);

#endif
