/*
 * fi_record.h - one Rekognition face-search record -> DynamoDB items.
 *
 * Owns: the shape check of a decoded face-search record (formats.md §1),
 * the item model (one item per matched face, attribute names below), and
 * the deterministic sighting id.  No I/O.
 *
 * Item attributes (S unless noted):
 *   id                 sighting id, see fi_sighting_id()
 *   ItemType           "sighting"
 *   FaceId, ImageId, ExternalImageId (the last two omitted when absent)
 *   Similarity, Confidence (N)  the match's values, text as in the record
 *   FaceIndex, MatchIndex (N)   positions in FaceSearchResponse/MatchedFaces
 *   SequenceNumber, ShardId, PartitionKey, EventSourceArn (Kinesis record)
 *   ArrivalTimestamp (N)        approximateArrivalTimestamp
 *   VideoStreamArn, FragmentNumber                 InputInformation.KinesisVideo
 *   ServerTimestamp, ProducerTimestamp, FrameOffsetInSeconds (N), likewise
 *   FrameTimestamp (N)          ProducerTimestamp + FrameOffsetInSeconds, ms
 *                               precision (else ServerTimestamp, else arrival)
 *   DetectedFaceConfidence (N), DetectedFaceBoundingBox (M of N:
 *                               Width, Height, Left, Top)
 */
#ifndef FI_RECORD_H
#define FI_RECORD_H

#include <jansson.h>
#include <stddef.h>

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

/*
 * Parse the decoded record data[0..len) and append one item per matched
 * face to `items` (a JSON array).  Returns the number of items appended
 * (0 is valid: no faces, or faces without matches), or -1 when the record
 * is not a face-search record, with the reason in why[0..whylen); nothing
 * is appended then.  Borrows all arguments.
 */
int fi_record_items(const char *data, size_t len, const fi_kctx *k, json_t *items, char *why,
                    size_t whylen);

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
