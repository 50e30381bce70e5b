//! Tests of `render`: every output shape of every kind.

use coterie_core::kinds::atomic_long::AtomicLongOutput as Al;
use coterie_core::kinds::atomic_reference::AtomicReferenceOutput as Ar;
use coterie_core::kinds::barrier::BarrierOutput as Ba;
use coterie_core::kinds::count_down_latch::CountDownLatchOutput as Cdl;
use coterie_core::kinds::counter::CounterOutput as Ctr;
use coterie_core::kinds::cp_semaphore::CpSemaphoreOutput as Cps;
use coterie_core::kinds::fenced_lock::FencedLockOutput as Fl;
use coterie_core::kinds::lock::LockOutput as L;
use coterie_core::kinds::map::MapOutput as M;
use coterie_core::kinds::queue::QueueOutput as Q;
use coterie_core::kinds::semaphore::SemaphoreOutput as Sem;
use coterie_core::kinds::set::SetOutput as S;
use coterie_core::{Fence, OwnerId, StructureOutput as SO};

use super::*;

fn b(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn lines(output: SO) -> Vec<String> {
    render(&output)
}

#[test]
fn bytes_print_as_text_or_hex() {
    assert_eq!(bytes(b"hello"), "hello");
    assert_eq!(bytes("héllo wörld".as_bytes()), "héllo wörld");
    assert_eq!(bytes(b""), "");
    assert_eq!(bytes(&[0xff, 0x00, 0x10]), "0xff0010");
    assert_eq!(bytes(b"two\nlines"), "0x74776f0a6c696e6573");
    assert_eq!(bytes(b"tab\there"), "0x7461620968657265");
}

#[test]
fn scalars_print_one_line() {
    assert_eq!(lines(SO::AtomicLong(Al::Value(-42))), ["-42"]);
    assert_eq!(lines(SO::AtomicLong(Al::Bool(true))), ["true"]);
    assert_eq!(lines(SO::AtomicLong(Al::Unit)), ["ok"]);
    assert_eq!(lines(SO::AtomicReference(Ar::Value(Some(b("v"))))), ["v"]);
    assert_eq!(lines(SO::AtomicReference(Ar::Value(None))), ["(null)"]);
    assert_eq!(lines(SO::AtomicReference(Ar::Value(Some(Vec::new())))), [""]);
    assert_eq!(lines(SO::AtomicReference(Ar::Bool(false))), ["false"]);
    assert_eq!(lines(SO::AtomicReference(Ar::Unit)), ["ok"]);
    assert_eq!(lines(SO::Counter(Ctr::Value(7))), ["7"]);
    assert_eq!(lines(SO::Map(M::Value(Some(b("v"))))), ["v"]);
    assert_eq!(lines(SO::Map(M::Value(None))), ["(null)"]);
    assert_eq!(lines(SO::Map(M::Bool(true))), ["true"]);
    assert_eq!(lines(SO::Map(M::Count(3))), ["3"]);
    assert_eq!(lines(SO::Set(S::Bool(false))), ["false"]);
    assert_eq!(lines(SO::Set(S::Count(0))), ["0"]);
    assert_eq!(lines(SO::Queue(Q::Item(Some(vec![0xfe])))), ["0xfe"]);
    assert_eq!(lines(SO::Queue(Q::Item(None))), ["(null)"]);
    assert_eq!(lines(SO::Queue(Q::Count(2))), ["2"]);
    assert_eq!(lines(SO::Queue(Q::Unit)), ["ok"]);
    assert_eq!(lines(SO::CountDownLatch(Cdl::Bool(true))), ["true"]);
    assert_eq!(lines(SO::CountDownLatch(Cdl::Count(4))), ["4"]);
    assert_eq!(lines(SO::CountDownLatch(Cdl::Round(2))), ["2"]);
    assert_eq!(lines(SO::CountDownLatch(Cdl::Unit)), ["ok"]);
}

#[test]
fn pages_print_one_item_per_line_then_the_cursor() {
    let keys = SO::Map(M::Keys { keys: vec![b("a"), b("b")], next: Some(b("b")) });
    assert_eq!(lines(keys), ["a", "b", "next: b"]);
    assert_eq!(lines(SO::Map(M::Keys { keys: vec![b("a")], next: None })), ["a"]);
    assert!(lines(SO::Map(M::Keys { keys: Vec::new(), next: None })).is_empty());
    let entries = SO::Map(M::Entries { entries: vec![(b("k"), b("v")), (vec![0], b(""))], next: Some(vec![0]) });
    assert_eq!(lines(entries), ["k = v", "0x00 = ", "next: 0x00"]);
    assert_eq!(lines(SO::Map(M::Entries { entries: Vec::new(), next: None })), Vec::<String>::new());
    let members = SO::Set(S::Members { members: vec![b("x"), b("y")], next: Some(b("y")) });
    assert_eq!(lines(members), ["x", "y", "next: y"]);
    assert_eq!(lines(SO::Set(S::Members { members: vec![b("x")], next: None })), ["x"]);
    assert_eq!(lines(SO::Queue(Q::Items(vec![b("first"), b("second")]))), ["first", "second"]);
    assert!(lines(SO::Queue(Q::Items(Vec::new()))).is_empty());
}

#[test]
fn session_kinds_render_too() {
    assert_eq!(lines(SO::FencedLock(Fl::Fence(Fence(9)))), ["9"]);
    assert_eq!(lines(SO::FencedLock(Fl::MaybeFence(None))), ["(null)"]);
    assert_eq!(lines(SO::FencedLock(Fl::MaybeFence(Some(Fence(3))))), ["3"]);
    assert_eq!(lines(SO::FencedLock(Fl::Bool(true))), ["true"]);
    assert_eq!(lines(SO::FencedLock(Fl::Count(2))), ["2"]);
    assert_eq!(lines(SO::FencedLock(Fl::Unit)), ["ok"]);
    assert_eq!(lines(SO::CpSemaphore(Cps::Permits(-1))), ["-1"]);
    assert_eq!(lines(SO::CpSemaphore(Cps::Bool(false))), ["false"]);
    assert_eq!(lines(SO::CpSemaphore(Cps::Unit)), ["ok"]);
    assert_eq!(lines(SO::Lock(L::Fence(Fence(1)))), ["1"]);
    assert_eq!(lines(SO::Lock(L::MaybeFence(None))), ["(null)"]);
    assert_eq!(lines(SO::Lock(L::Bool(true))), ["true"]);
    assert_eq!(lines(SO::Lock(L::Holder(None))), ["(null)"]);
    assert_eq!(lines(SO::Lock(L::Holder(Some((OwnerId(0xab), Fence(5)))))), ["000000000000000000000000000000ab 5"]);
    assert_eq!(lines(SO::Semaphore(Sem::Bool(true))), ["true"]);
    assert_eq!(lines(SO::Semaphore(Sem::Count(3))), ["3"]);
    assert_eq!(lines(SO::Semaphore(Sem::Unit)), ["ok"]);
    assert_eq!(lines(SO::Barrier(Ba::Released { round: 4 })), ["released 4"]);
    assert_eq!(lines(SO::Barrier(Ba::TimedOut)), ["timed-out"]);
    assert_eq!(lines(SO::Barrier(Ba::Count(1))), ["1"]);
    assert_eq!(lines(SO::Barrier(Ba::Round(6))), ["6"]);
}
