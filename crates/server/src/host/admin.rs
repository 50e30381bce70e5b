//! `AdminService`: the committed member table, and adding and removing members through it
//! (see [`super::members`] for how a change reaches the Raft groups).

use std::sync::Arc;

use coterie_api::pb::{self, admin_service_server::AdminService};
use coterie_api::status;
use coterie_core::{EngineError, MemberState, MemberTable};
use tonic::{Request, Response, Status};

use super::Inner;
use super::api::call_timeout;

/// The `AdminService` of a node.
#[derive(Clone)]
pub(super) struct AdminServer {
    inner: Arc<Inner>,
}

impl AdminServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        AdminServer { inner }
    }
}

/// The wire state of a member state.
pub(super) fn wire_state(state: MemberState) -> pb::MemberState {
    match state {
        MemberState::Joining => pb::MemberState::Joining,
        MemberState::Up => pb::MemberState::Up,
        MemberState::Leaving => pb::MemberState::Leaving,
        MemberState::Removed => pb::MemberState::Removed,
        MemberState::Down => pb::MemberState::Down,
    }
}

/// Every member of `table`, as the wire lists them.
pub(super) fn wire_members(table: &MemberTable) -> Vec<pb::Member> {
    table
        .iter()
        .map(|(id, record)| pb::Member {
            id,
            address: record.address.clone(),
            state: wire_state(record.state).into(),
            cp_member: record.cp,
        })
        .collect()
}

#[tonic::async_trait]
impl AdminService for AdminServer {
    async fn list_members(
        &self,
        _request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let members = self.inner.listed_members();
        let leader = match self.inner.metadata() {
            Some(node) => node.leader(),
            None => self.inner.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).leader.clone(),
        };
        Ok(Response::new(pb::ListMembersResponse {
            members,
            leader_id: leader.as_ref().map(|(id, _)| *id),
            leader_address: leader.map(|(_, address)| address).filter(|address| !address.is_empty()),
        }))
    }

    async fn add_member(
        &self,
        request: Request<pb::AddMemberRequest>,
    ) -> Result<Response<pb::AddMemberResponse>, Status> {
        let config = &self.inner.config;
        let timeout = call_timeout(request.metadata(), config.join_timeout, config.max_call_timeout);
        let pb::AddMemberRequest { id, address, plain } = request.into_inner();
        let table =
            self.inner.add_member(id, address, !plain, timeout).await.map_err(|err| status::from_engine(&err))?;
        Ok(Response::new(pb::AddMemberResponse { members: wire_members(&table) }))
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Result<Response<pb::RemoveMemberResponse>, Status> {
        let config = &self.inner.config;
        let timeout = call_timeout(request.metadata(), config.join_timeout, config.max_call_timeout);
        let id = request.into_inner().id;
        let table = self.inner.remove_member(id, timeout).await.map_err(|err| status::from_engine(&err))?;
        Ok(Response::new(pb::RemoveMemberResponse { members: wire_members(&table) }))
    }

    async fn claim_group(
        &self,
        request: Request<pb::ClaimGroupRequest>,
    ) -> Result<Response<pb::ClaimGroupResponse>, Status> {
        let config = &self.inner.config;
        let timeout = call_timeout(request.metadata(), config.join_timeout, config.max_call_timeout);
        let pb::ClaimGroupRequest { group, member } = request.into_inner();
        let group = coterie_api::convert::resolve_group(&group)
            .map_err(|err| status::from_engine(&EngineError::from(super::HostError::from(err))))?;
        let owner = self.inner.claim_here(&group, member, timeout).await.map_err(|err| status::from_engine(&err))?;
        Ok(Response::new(pb::ClaimGroupResponse { owner }))
    }
}
