"""The S3 gateway's cases, driven by boto3 (a real S3 client written by others).

Run by tests/gateway.rs against a 3-member cluster: S3_ENDPOINT is the leader's gateway,
S3_FOLLOWER_ENDPOINT another member's. Each case prints its name and PASS/FAIL; the last
line counts them, and the exit code is non-zero if any failed.
"""

import os
import sys
import threading
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["S3_ENDPOINT"]
FOLLOWER = os.environ["S3_FOLLOWER_ENDPOINT"]
ACCESS = os.environ["S3_ACCESS_KEY"]
SECRET = os.environ["S3_SECRET_KEY"]
COPY_IF_NOT_EXISTS = "x-coterie-copy-if-not-exists"
# Which run this is (a rerun after a leader change uses fresh buckets).
RUN = os.environ.get("S3_RUN", "0")


def b(name):
    """The bucket `name` of this run."""
    return f"{name}-{RUN}"


def client(endpoint=ENDPOINT, access=ACCESS, secret=SECRET, attempts=3):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": attempts, "mode": "standard"},
        ),
    )


S3 = client()


def status(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def code(err):
    return err.response["Error"]["Code"]


def refused(expected_status, call, *args, **kwargs):
    """Asserts that call fails with HTTP status expected_status; answers the error."""
    try:
        call(*args, **kwargs)
    except ClientError as err:
        assert status(err) == expected_status, f"expected {expected_status}, got {status(err)}: {err}"
        return err
    raise AssertionError(f"expected {expected_status}, the call succeeded")


def body(bucket, key, **kwargs):
    return S3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def create_only_race():
    bucket, key, n = b("race"), "lock", 8
    S3.create_bucket(Bucket=bucket)
    results = [None] * n
    clients = [client() for _ in range(n)]
    start = threading.Barrier(n)

    def put(i):
        start.wait()
        try:
            clients[i].put_object(Bucket=bucket, Key=key, Body=f"holder {i}".encode(), IfNoneMatch="*")
            results[i] = 200
        except ClientError as err:
            results[i] = (status(err), code(err))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, r in enumerate(results) if r == 200]
    assert len(winners) == 1, f"exactly one create-only put wins: {results}"
    assert all(r == (412, "PreconditionFailed") for r in results if r != 200), results
    assert body(bucket, key) == f"holder {winners[0]}".encode()


def if_match_cas():
    bucket = b("cas")
    first = S3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["ETag"]
    assert first.startswith('"') and first.endswith('"'), f"ETags are quoted: {first}"
    second = S3.put_object(Bucket=bucket, Key="doc", Body=b"v2", IfMatch=first)["ETag"]
    assert second != first, "every write changes the ETag"
    err = refused(412, S3.put_object, Bucket=bucket, Key="doc", Body=b"v3", IfMatch=first)
    assert code(err) == "PreconditionFailed"
    assert body(bucket, "doc") == b"v2"
    # Unquoted ETags compare the same.
    S3.put_object(Bucket=bucket, Key="doc", Body=b"v3", IfMatch=second.strip('"'))
    # A counter: 4 writers x 5 increments with ETag retries is exactly 20.
    S3.put_object(Bucket=bucket, Key="counter", Body=b"0")

    def increment(c):
        for _ in range(5):
            while True:
                got = c.get_object(Bucket=bucket, Key="counter")
                value = int(got["Body"].read())
                try:
                    c.put_object(Bucket=bucket, Key="counter", Body=str(value + 1).encode(), IfMatch=got["ETag"])
                    break
                except ClientError as err:
                    assert status(err) == 412, err

    threads = [threading.Thread(target=increment, args=(client(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert body(bucket, "counter") == b"20"


def conditional_reads():
    bucket = b("cache")
    put = S3.put_object(Bucket=bucket, Key="page", Body=b"hello")
    etag = put["ETag"]
    head = S3.head_object(Bucket=bucket, Key="page")
    assert head["ETag"] == etag and head["ContentLength"] == 5
    modified = head["LastModified"]
    assert refused(304, S3.get_object, Bucket=bucket, Key="page", IfNoneMatch=etag)
    assert refused(304, S3.head_object, Bucket=bucket, Key="page", IfNoneMatch=etag)
    assert refused(304, S3.get_object, Bucket=bucket, Key="page", IfModifiedSince=modified)
    assert refused(412, S3.get_object, Bucket=bucket, Key="page", IfMatch='"not-the-etag"')
    assert refused(412, S3.head_object, Bucket=bucket, Key="page", IfMatch='"not-the-etag"')
    past = modified.replace(year=modified.year - 1)
    assert refused(412, S3.get_object, Bucket=bucket, Key="page", IfUnmodifiedSince=past)
    assert body(bucket, "page", IfMatch=etag, IfUnmodifiedSince=modified) == b"hello"
    assert body(bucket, "page", IfNoneMatch='"other"', IfModifiedSince=past) == b"hello"
    err = refused(404, S3.get_object, Bucket=bucket, Key="absent")
    assert code(err) == "NoSuchKey"


def ranges():
    bucket = b("ranges")
    S3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = S3.get_object(Bucket=bucket, Key="digits", Range="bytes=2-5")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 2-5/10" and got["Body"].read() == b"2345"
    assert body(bucket, "digits", Range="bytes=-3") == b"789"
    assert body(bucket, "digits", Range="bytes=7-") == b"789"
    assert body(bucket, "digits", Range="bytes=8-100") == b"89"
    err = refused(416, S3.get_object, Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert code(err) == "InvalidRange"
    # 17 MiB: three parts of at most 8 MiB on the members; a range across a part boundary.
    big = os.urandom(17 << 20)
    S3.put_object(Bucket=bucket, Key="big", Body=big)
    assert body(bucket, "big") == big
    start = (8 << 20) - 3
    assert body(bucket, "big", Range=f"bytes={start}-{start + 5}") == big[start : start + 6]


def listing():
    bucket = b("listing")
    keys = ["a/1", "a/2", "b/1", "b/2/x", "c", "d"]
    for key in keys:
        S3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    page = S3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Prefix"] for c in page["CommonPrefixes"]] == ["a/", "b/"], page
    assert [o["Key"] for o in page["Contents"]] == ["c", "d"]
    assert page["KeyCount"] == 4 and not page["IsTruncated"]
    page = S3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [o["Key"] for o in page["Contents"]] == ["b/1"] and page["CommonPrefixes"][0]["Prefix"] == "b/2/"
    seen, token = [], None
    while True:
        args = {"Bucket": bucket, "MaxKeys": 2}
        if token:
            args["ContinuationToken"] = token
        page = S3.list_objects_v2(**args)
        seen += [o["Key"] for o in page.get("Contents", [])]
        assert page["KeyCount"] <= 2
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == keys, seen
    paginated = [o["Key"] for p in S3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4}) for o in p.get("Contents", [])]
    assert paginated == keys, paginated
    after = S3.list_objects_v2(Bucket=bucket, StartAfter="b/2/x")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d"]


def copy_if_not_exists():
    bucket = b("backup")
    S3.put_object(Bucket=bucket, Key="data", Body=b"v1")
    c = client()

    def add_header(request, **_):
        request.headers[COPY_IF_NOT_EXISTS] = "true"

    c.meta.events.register("before-sign.s3.CopyObject", add_header)
    source = {"Bucket": bucket, "Key": "data"}
    copied = c.copy_object(Bucket=bucket, Key="data.bak", CopySource=source)
    assert copied["CopyObjectResult"]["ETag"]
    S3.put_object(Bucket=bucket, Key="data", Body=b"v2")
    err = refused(412, c.copy_object, Bucket=bucket, Key="data.bak", CopySource=source)
    assert code(err) == "PreconditionFailed"
    assert body(bucket, "data.bak") == b"v1", "the backup was not overwritten"
    # AWS's form: If-None-Match: * on the copy.
    err = refused(412, S3.copy_object, Bucket=bucket, Key="data.bak", CopySource=source, IfNoneMatch="*")
    assert code(err) == "PreconditionFailed"
    S3.copy_object(Bucket=bucket, Key="data.bak2", CopySource=source, IfNoneMatch="*")
    assert body(bucket, "data.bak2") == b"v2"
    # A source condition: the copy happens only if the source is still the version read.
    refused(412, S3.copy_object, Bucket=bucket, Key="data.bak3", CopySource=source, CopySourceIfMatch='"stale"')
    # Without the header a copy overwrites.
    S3.copy_object(Bucket=bucket, Key="data.bak", CopySource=source)
    assert body(bucket, "data.bak") == b"v2"


def deletes():
    bucket = b("deletes")
    etag = S3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    refused(412, S3.delete_object, Bucket=bucket, Key="k", IfMatch='"wrong"')
    S3.delete_object(Bucket=bucket, Key="k", IfMatch=etag)
    refused(404, S3.head_object, Bucket=bucket, Key="k")
    S3.delete_object(Bucket=bucket, Key="k")  # deleting an absent key succeeds, as in S3


def multipart():
    bucket, key = b("multipart"), "big.bin"
    part1, part2 = os.urandom(5 << 20), os.urandom(1 << 20)
    upload = S3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-test", Metadata={"owner": "me"})
    uid = upload["UploadId"]
    e1 = S3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    e2 = S3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}
    wrong = {"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]}
    refused(400, S3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=uid, MultipartUpload=wrong)
    done = S3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload=parts)
    got = S3.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == done["ETag"] and got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "me"}, got["Metadata"]
    assert got["Body"].read() == part1 + part2
    assert body(bucket, key, Range=f"bytes={(5 << 20) - 2}-{(5 << 20) + 1}") == part1[-2:] + part2[:2]
    refused(404, S3.upload_part, Bucket=bucket, Key=key, UploadId=uid, PartNumber=3, Body=b"x")
    # A create-only completion on an existing key is refused, and the object stays.
    uid = S3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    e1 = S3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"other")["ETag"]
    only = {"Parts": [{"PartNumber": 1, "ETag": e1}]}
    refused(412, S3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=uid, MultipartUpload=only, IfNoneMatch="*")
    S3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)
    refused(404, S3.upload_part, Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"x")
    assert body(bucket, key) == part1 + part2


def wrong_signature():
    bad = client(secret="not-the-secret", attempts=1)
    err = refused(403, bad.put_object, Bucket=b("auth"), Key="k", Body=b"x")
    assert code(err) == "SignatureDoesNotMatch", code(err)
    unknown = client(access="someone-else", attempts=1)
    refused(403, unknown.get_object, Bucket=b("auth"), Key="k")
    refused(404, S3.head_object, Bucket=b("auth"), Key="k")


def follower_and_names():
    # A follower's gateway serves every operation: bytes stored from it, metadata forwarded
    # to the leader; what one gateway wrote the other reads.
    follower = client(FOLLOWER, attempts=1)
    bucket = b("follower")
    follower.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/plain", Metadata={"a": "1"}, IfNoneMatch="*")
    refused(412, follower.put_object, Bucket=bucket, Key="k", Body=b"y", IfNoneMatch="*")
    assert follower.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    head = S3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "text/plain" and head["Metadata"] == {"a": "1"}, head
    follower.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"})
    listed = [o["Key"] for o in follower.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert listed == ["copy", "k"], listed
    follower.delete_object(Bucket=bucket, Key="k")
    refused(404, S3.head_object, Bucket=bucket, Key="k")
    err = refused(400, S3.put_object, Bucket="bad_name", Key="k", Body=b"x")
    assert code(err) == "InvalidBucketName"


CASES = [
    create_only_race,
    if_match_cas,
    conditional_reads,
    ranges,
    listing,
    copy_if_not_exists,
    deletes,
    multipart,
    wrong_signature,
    follower_and_names,
]


def main():
    passed = failed = 0
    for case in CASES:
        try:
            case()
            passed += 1
            print(f"PASS {case.__name__}", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"FAIL {case.__name__}", flush=True)
            traceback.print_exc()
    print(f"boto3: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
