// Each project's last run, read straight from the ledger's index.
//
// The dashboard wants, for each of a user's projects, the first entry of
// project_runs_project_created_idx (project_id, created_at DESC, id DESC).
// Through the executor, PostgreSQL 15's btree scan copies every entry of the
// project on the leaf page before it returns the first one (a leaf page is
// read whole), and a project with a hundred runs costs a hundred
// comparisons for one row. Here the same descent (_bt_search) is followed
// by a binary search of the leaf for the project's first entry and a copy
// of at most kMaxTids heap pointers; the page is then released, and the runs
// are fetched as an index scan fetches them (table_index_fetch_tuple: HOT
// chains, visibility under the snapshot, predicate locks). Like btree's own
// MVCC scans, the leaf page is neither locked nor pinned while the heap is
// read: a heap pointer that VACUUM frees and a later insert reuses points to
// a row the snapshot cannot see, and the row's project is checked anyway.
#include "pg/last_runs.hpp"

#include <cstring>

#include "pg/fault.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_index.h"
#include "executor/tuptable.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
}

// The btree calls and page layout used here are PostgreSQL 15's (_bt_search
// takes the heap relation from 16 on): check them before building for
// another version.
#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "src/pg/last_runs.cpp follows PostgreSQL 15's btree"
#endif

namespace project_runs::pg {

namespace {

bool g_index_read = true;  // project_runs.dashboard_index_read
// Entries of one project copied from its leaf page. Past the first, an
// entry is read only when the newer ones are invisible (a run being
// inserted by another transaction, or rolled back): more than this many in
// a row send the whole call to the statement.
constexpr int kMaxTids = 8;

// The run's columns the dashboard shows, in its order, by name (the JSON
// keys).
constexpr const char* kOutNames[5] = {"id", "status", "created_at", "started_at", "finished_at"};

// True when the index is the btree the extension script makes:
// (project_id, created_at DESC, id DESC), valid, no expression, no
// predicate, built with heap TIDs in the key (an index of PostgreSQL 12 or
// later: an older one may hold a project's first entries left of the page
// the descent ends on). The operator classes are not checked: only a
// superuser can make one for uuid or timestamptz that orders otherwise.
bool expected_index(Relation index, Oid runs_relid, const RunColumns& runs) {
    Form_pg_index form = index->rd_index;
    if (index->rd_rel->relkind != RELKIND_INDEX || index->rd_rel->relam != BTREE_AM_OID ||
        form->indrelid != runs_relid || !form->indisvalid || form->indnatts != 3 ||
        form->indnkeyatts != 3)
        return false;
    if (form->indkey.values[0] != runs.project_id || form->indkey.values[1] != runs.created_at ||
        form->indkey.values[2] != runs.id)
        return false;
    const int16* option = index->rd_indoption;
    if ((option[0] & INDOPTION_DESC) || !(option[1] & INDOPTION_DESC) ||
        !(option[2] & INDOPTION_DESC))
        return false;
    if (RelationGetIndexExpressions(index) != NIL || RelationGetIndexPredicate(index) != NIL)
        return false;
    bool heapkeyspace, allequalimage;
    _bt_metaversion(index, &heapkeyspace, &allequalimage);
    return heapkeyspace;
}

// The first offset of the leaf page whose entry is at or after the key.
OffsetNumber first_at_or_after(Relation index, BTScanInsert key, Page page, BTPageOpaque opaque) {
    OffsetNumber low = P_FIRSTDATAKEY(opaque);
    OffsetNumber high = OffsetNumberNext(PageGetMaxOffsetNumber(page));
    while (low < high) {
        OffsetNumber middle = low + (high - low) / 2;
        if (_bt_compare(index, key, page, middle) > 0)
            low = OffsetNumberNext(middle);
        else
            high = middle;
    }
    return low;
}

enum class Probe { none, found, unsure };

// The project's first visible run, into slot. unsure: its first kMaxTids
// entries are invisible (or a row is not the project's), the statement
// must answer.
Probe probe(Relation index, BTScanInsert key, IndexFetchTableData* fetch, TupleTableSlot* slot,
            Datum project, AttrNumber project_column, Snapshot snapshot, bool skip_dead) {
    ItemPointerData tids[kMaxTids];
    int ntids = 0;
    bool more = false;
    Buffer buffer;
    key->scankeys[0].sk_argument = project;
    _bt_freestack(_bt_search(index, key, &buffer, BT_READ, snapshot));
    pgstat_count_index_scan(index);
    if (!BufferIsValid(buffer)) {  // the index is empty
        PredicateLockRelation(index, snapshot);
        return Probe::none;
    }
    maybe_inject_fault(FaultSite::index_read);  // with the leaf page locked
    Page page = BufferGetPage(buffer);
    BTPageOpaque opaque = BTPageGetOpaque(page);
    OffsetNumber offset = first_at_or_after(index, key, page, opaque);
    for (;;) {
        PredicateLockPage(index, BufferGetBlockNumber(buffer), snapshot);
        OffsetNumber last = PageGetMaxOffsetNumber(page);
        bool past = false;
        for (; offset <= last && ntids < kMaxTids; offset = OffsetNumberNext(offset)) {
            ItemId item = PageGetItemId(page, offset);
            // Dead to every snapshot, but a standby's transactions cannot
            // trust what the primary marked so (as btree's scans do not).
            if (skip_dead && ItemIdIsDead(item)) continue;
            if (_bt_compare(index, key, page, offset) != 0) {
                past = true;
                break;
            }
            IndexTuple tuple = reinterpret_cast<IndexTuple>(PageGetItem(page, item));
            if (BTreeTupleIsPosting(tuple)) {
                int n = BTreeTupleGetNPosting(tuple);
                for (int i = 0; i < n && ntids < kMaxTids; i++)
                    tids[ntids++] = *BTreeTupleGetPostingN(tuple, i);
            } else {
                tids[ntids++] = tuple->t_tid;
            }
        }
        if (past) break;
        if (ntids == kMaxTids || (ntids > 0 && !P_RIGHTMOST(opaque))) {
            more = true;  // the project may have more entries
            break;
        }
        if (P_RIGHTMOST(opaque)) break;
        // No entry of the project on this page: they begin on the right,
        // if anywhere. Pages being deleted are skipped, as btree's scans do.
        do {
            buffer = _bt_relandgetbuf(index, buffer, opaque->btpo_next, BT_READ);
            page = BufferGetPage(buffer);
            opaque = BTPageGetOpaque(page);
        } while (P_IGNORE(opaque) && !P_RIGHTMOST(opaque));
        if (P_IGNORE(opaque)) break;
        offset = P_FIRSTDATAKEY(opaque);
    }
    _bt_relbuf(index, buffer);

    for (int i = 0; i < ntids; i++) {
        bool call_again = false, all_dead = false;
        if (!table_index_fetch_tuple(fetch, &tids[i], snapshot, slot, &call_again, &all_dead))
            continue;
        bool is_null;
        Datum row_project = slot_getattr(slot, project_column, &is_null);
        if (is_null || memcmp(DatumGetUUIDP(row_project), DatumGetUUIDP(project), UUID_LEN) != 0)
            return Probe::unsure;
        return Probe::found;
    }
    return more ? Probe::unsure : Probe::none;
}

bool read(const Catalog& cat, const SPITupleTable* projects, uint64 count, LastRuns* out) {
    if (!OidIsValid(cat.runs_created_index) || !ActiveSnapshotSet()) return false;
    Snapshot snapshot = GetActiveSnapshot();
    if (!IsMVCCSnapshot(snapshot)) return false;
    // Locks as the statement's plan takes them, table first, kept to the
    // transaction's end. The index the catalog names may have been dropped
    // since (REINDEX CONCURRENTLY swaps it, and the catalog is read again
    // at the next call): then the statement answers.
    Relation heap = table_open(cat.runs_relid, AccessShareLock);
    Relation index = try_relation_open(cat.runs_created_index, AccessShareLock);
    if (index == nullptr || !expected_index(index, cat.runs_relid, cat.runs)) {
        if (index != nullptr) relation_close(index, NoLock);
        table_close(heap, NoLock);
        return false;
    }
    // kOutNames' numbers in project_runs (the catalog's, type-checked when
    // it was loaded)
    const AttrNumber out_attnums[5] = {cat.runs.id, cat.runs.status, cat.runs.created_at,
                                       cat.runs.started_at, cat.runs.finished_at};
    TupleDesc heap_desc = RelationGetDescr(heap);

    TupleDesc desc = CreateTemplateTupleDesc(5);
    for (int i = 0; i < 5; i++) {
        Form_pg_attribute attr = TupleDescAttr(heap_desc, out_attnums[i] - 1);
        TupleDescInitEntry(desc, static_cast<AttrNumber>(i + 1), kOutNames[i], attr->atttypid,
                           attr->atttypmod, 0);
    }
    HeapTuple* runs = static_cast<HeapTuple*>(palloc0(sizeof(HeapTuple) * (count + 1)));
    BTScanInsert key = _bt_mkscankey(index, nullptr);
    key->keysz = 1;  // project_id only: its first entry is its newest run
    key->scankeys[0].sk_flags &= ~SK_ISNULL;
    key->anynullkeys = false;
    bool skip_dead = !TransactionStartedDuringRecovery();
    IndexFetchTableData* fetch = table_index_fetch_begin(heap);
    TupleTableSlot* slot = table_slot_create(heap, nullptr);
    bool answered = true;
    for (uint64 n = 1; n <= count && answered; n++) {
        CHECK_FOR_INTERRUPTS();
        bool is_null;
        Datum project = heap_getattr(projects->vals[n - 1], 1, projects->tupdesc, &is_null);
        if (is_null) continue;
        switch (probe(index, key, fetch, slot, project, cat.runs.project_id, snapshot, skip_dead)) {
            case Probe::none:
                break;
            case Probe::unsure:
                answered = false;
                break;
            case Probe::found: {
                Datum values[5];
                bool nulls[5];
                for (int i = 0; i < 5; i++)
                    values[i] = slot_getattr(slot, out_attnums[i], &nulls[i]);
                runs[n] = heap_form_tuple(desc, values, nulls);
                break;
            }
        }
        ExecClearTuple(slot);
    }
    ExecDropSingleTupleTableSlot(slot);
    table_index_fetch_end(fetch);
    relation_close(index, NoLock);
    table_close(heap, NoLock);
    if (!answered) return false;
    out->runs = runs;
    out->desc = desc;
    return true;
}

}  // namespace

bool read_last_runs(const Catalog& cat, const SPITupleTable* projects, uint64 count,
                    LastRuns* out) {
    if (!g_index_read) return false;
    return guard([&] { return read(cat, projects, count, out); });
}

void define_index_read_setting() {
    DefineCustomBoolVariable(
        "project_runs.dashboard_index_read",
        "project_runs_dashboard reads each project's last run straight from the ledger's index.",
        "Off: it runs the equivalent SQL statement instead (same answer, slower).",
        &g_index_read, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

}  // namespace project_runs::pg
