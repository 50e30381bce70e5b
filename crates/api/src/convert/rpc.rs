//! Everything per rpc that the API crate needs, generated from the one list in
//! [`super::table`]:
//!
//! - the forward conversions of every structure rpc (`IntoCommand` for its request,
//!   `FromOutput` for its response), which the server's handlers use;
//! - the reverse ones (`IntoOutput` for its response, and the command-to-request mapping
//!   behind [`to_request`](super::to_request)), which clients use;
//! - [`RpcRequest`] and [`RpcResponse`], one variant per rpc, so a client that starts from
//!   a core command can hold whichever rpc's request it maps to, and its answer.
//!
//! Both directions are expanded from the same declaration per rpc, so a variant cannot be
//! missing from one match and present in another, and a field cannot be read one way by
//! the server and written another way by the client.

use coterie_core::{Consistency, GroupOutput, StructureCommand, StructureOutput};

use super::fields::{
    EntryList, FenceValue, Field, HandleOwner, HolderOf, OnePermitByDefault, Owner, PositivePermits, Required, Same,
    Timeout,
};
use super::response::IntoOutput;
use super::{ConvertError, FromOutput, Header, IntoCommand, Routed, consistency_to_wire, no_rpc, text};
use crate::pb;

/// Expands the rpc list (see [`super::table`]) into the conversions and the rpc enums.
macro_rules! generate {
    (
        structures { $(
            $kind:ident {
                module $module:ident, command $command:ident, output $output:ident,
                service $server_module:ident :: $service:ident as $server:ident,
                client $client_module:ident :: $client:ident,
                rpcs { $(
                    $variant:ident $operation:literal $method:ident ($mode:ident) :
                        $request:ident { $($request_field:ident : $request_conv:ident),* } => [$($command_pattern:tt)+] ;
                        $response:ident $response_fields:tt <= $(
                            [$($output_pattern:tt)+] $(where { $($where_field:ident = $where_value:literal),* })?
                        )|+ ;
                )* }
                $(
                    create $create_variant:ident $create_operation:literal $create_method:ident :
                        $create_request:ident { $($create_field:ident : $create_conv:ident),* } => [$($spec_pattern:tt)+] ;
                        $create_response:ident ;
                )?
            }
        )* }
        sessions {
            service $session_server_module:ident :: $session_service:ident as $session_server:ident,
            client $session_client_module:ident :: $session_client:ident,
            rpcs { $( $session_variant:ident $session_operation:literal $session_method:ident : $session_request:ident -> $session_response:ident ; )* }
        }
    ) => {
        $($(
            impl IntoCommand for pb::$request {
                const OPERATION: &'static str = $operation;

                fn into_command(self) -> Result<Routed, ConvertError> {
                    let pb::$request { call, $($request_field),* } = self;
                    // The header first: a call to nowhere is reported as such whatever else is wrong.
                    let header = Header::check(call, $operation)?;
                    $(
                        let $request_field = <$request_conv as Field<_, _>>::decode(
                            $request_field, $operation, stringify!($request_field),
                        )?;
                    )*
                    let command = ::coterie_core::kinds::$module::$command::$($command_pattern)+;
                    header.invoke(StructureCommand::$kind(command), $operation)
                }
            }

            impl FromOutput for pb::$response {
                const OPERATION: &'static str = $operation;

                fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
                    match output {
                        $(
                            GroupOutput::Structure(StructureOutput::$kind(
                                ::coterie_core::kinds::$module::$output::$($output_pattern)+
                            )) => {
                                // The fields this output does not carry take the table's values.
                                $($(let $where_field = $where_value;)*)?
                                Ok(encode_response!($response, $response_fields))
                            }
                        )+
                        other => Err(ConvertError::unexpected($operation, &other)),
                    }
                }
            }

            impl IntoOutput for pb::$response {
                #[allow(clippy::bool_comparison, reason = "a generated test of a field against the table's value")]
                fn into_output(self) -> Result<GroupOutput, ConvertError> {
                    let response = self;
                    decode_response!(response, $response, $operation, $response_fields);
                    // The first output whose fixed field values the response has.
                    $(
                        if output_matches!($($($where_field = $where_value),*)?) {
                            return Ok(GroupOutput::Structure(StructureOutput::$kind(
                                ::coterie_core::kinds::$module::$output::$($output_pattern)+
                            )));
                        }
                    )+
                    Err(ConvertError::invalid(
                        $operation,
                        "the response's fields match none of the outputs it is built from (a server bug)",
                    ))
                }
            }
        )*)*

        $($(
            impl IntoCommand for pb::$create_request {
                const OPERATION: &'static str = $create_operation;

                fn into_command(self) -> Result<Routed, ConvertError> {
                    let pb::$create_request { call, $($create_field),* } = self;
                    let header = Header::check(call, $create_operation)?;
                    $(
                        let $create_field = <$create_conv as Field<_, _>>::decode(
                            $create_field, $create_operation, stringify!($create_field),
                        )?;
                    )*
                    header.create(::coterie_core::StructureSpec::$($spec_pattern)+)
                }
            }

            impl FromOutput for pb::$create_response {
                const OPERATION: &'static str = $create_operation;

                fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
                    match output {
                        GroupOutput::Bool(created) => Ok(pb::$create_response { created }),
                        other => Err(ConvertError::unexpected($create_operation, &other)),
                    }
                }
            }

            impl IntoOutput for pb::$create_response {
                fn into_output(self) -> Result<GroupOutput, ConvertError> {
                    Ok(GroupOutput::Bool(self.created))
                }
            }
        )?)*

        /// The request (without its `Call` header) of the rpc that creates a structure with
        /// `spec`, or the refusal of a spec the public API has no create rpc for.
        pub(super) fn create_request(spec: &::coterie_core::StructureSpec) -> Result<RpcRequest, ConvertError> {
            #[allow(unreachable_patterns, reason = "a spec without configuration has no create rpc")]
            match spec {
                $($(
                    ::coterie_core::StructureSpec::$($spec_pattern)+ => Ok(RpcRequest::$create_variant(pb::$create_request {
                        call: None,
                        $($create_field: <$create_conv as Field<_, _>>::encode($create_field)),*
                    })),
                )?)*
                other => Err(no_rpc("create", &format!("creating a {} with a configuration", other.kind().name()))),
            }
        }

        /// The request (without its `Call` header) of the rpc for a structure command, or
        /// the refusal of a command the public API has no rpc for.
        pub(super) fn structure_request(command: &StructureCommand) -> Result<RpcRequest, ConvertError> {
            match command {
                $(
                    StructureCommand::$kind(command) => Ok(match command {
                        $(
                            ::coterie_core::kinds::$module::$command::$($command_pattern)+ => {
                                RpcRequest::$variant(pb::$request {
                                    call: None,
                                    $($request_field: <$request_conv as Field<_, _>>::encode($request_field)),*
                                })
                            }
                        )*
                        // A command of its kind that the table gives no rpc.
                        #[allow(unreachable_patterns, reason = "most kinds have an rpc for every command")]
                        _ => return Err(no_rpc("invoke", concat!("this ", stringify!($kind), " command"))),
                    }),
                )*
                other => Err(no_rpc("invoke", &format!("a {} command", other.kind().name()))),
            }
        }

        /// The request of one client-facing rpc, named `<Service><Method>`
        /// (`AtomicLongIncrementAndGet` is `AtomicLongService.IncrementAndGet`).
        #[derive(Clone, Debug, PartialEq)]
        pub enum RpcRequest {
            $($(
                #[doc = concat!("`", stringify!($request), "`.")]
                $variant(pb::$request),
            )*)*
            $($(
                #[doc = concat!("`", stringify!($create_request), "`.")]
                $create_variant(pb::$create_request),
            )?)*
            $(
                #[doc = concat!("`", stringify!($session_request), "`.")]
                $session_variant(pb::$session_request),
            )*
        }

        /// The response of one client-facing rpc; each variant answers the [`RpcRequest`]
        /// variant of the same name.
        #[derive(Clone, Debug, PartialEq)]
        pub enum RpcResponse {
            $($(
                #[doc = concat!("`", stringify!($response), "`.")]
                $variant(pb::$response),
            )*)*
            $($(
                #[doc = concat!("`", stringify!($create_response), "`.")]
                $create_variant(pb::$create_response),
            )?)*
            $(
                #[doc = concat!("`", stringify!($session_response), "`.")]
                $session_variant(pb::$session_response),
            )*
        }

        impl RpcRequest {
            /// The rpc's operation name in snake case, as the core names it (`increment_and_get`).
            pub fn operation(&self) -> &'static str {
                match self {
                    $($(RpcRequest::$variant(_) => $operation,)*)*
                    $($(RpcRequest::$create_variant(_) => $create_operation,)?)*
                    $(RpcRequest::$session_variant(_) => $session_operation,)*
                }
            }

            /// The command the server turns this request into (the forward conversion).
            pub fn into_command(self) -> Result<Routed, ConvertError> {
                match self {
                    $($(RpcRequest::$variant(request) => request.into_command(),)*)*
                    $($(RpcRequest::$create_variant(request) => request.into_command(),)?)*
                    $(RpcRequest::$session_variant(request) => request.into_command(),)*
                }
            }

            /// The response a server builds for this request from the group's `output` (the
            /// forward conversion), or [`ConvertError::UnexpectedOutput`] for an output of
            /// another shape.
            pub fn respond(&self, output: GroupOutput) -> Result<RpcResponse, ConvertError> {
                match self {
                    $($(RpcRequest::$variant(_) => pb::$response::from_output(output).map(RpcResponse::$variant),)*)*
                    $($(RpcRequest::$create_variant(_) => {
                        pb::$create_response::from_output(output).map(RpcResponse::$create_variant)
                    })?)*
                    $(RpcRequest::$session_variant(_) => {
                        pb::$session_response::from_output(output).map(RpcResponse::$session_variant)
                    })*
                }
            }

            /// How a client must make this call (the rpc list's mode).
            pub fn mode(&self) -> RpcMode {
                match self {
                    $($(RpcRequest::$variant(_) => rpc_mode!($mode),)*)*
                    $($(RpcRequest::$create_variant(_) => RpcMode::Mutation,)?)*
                    $(RpcRequest::$session_variant(_) => RpcMode::Session,)*
                }
            }

            /// The request of structure rpc `operation` of `kind` (as a command line names
            /// them: `atomic-long compare-and-set`) on structure `name`, its fields from
            /// `fields` (`FIELD=VALUE`, by the proto's field names, read by their types).
            pub fn from_text(kind: &str, operation: &str, name: &str, fields: &[String]) -> Result<RpcRequest, ConvertError> {
                $($(
                    if text::names_kind(stringify!($kind), kind) && text::names_operation($operation, operation) {
                        #[allow(unused_mut, reason = "an rpc without fields takes none")]
                        let mut given = text::TextFields::new($operation, fields)?;
                        let request = pb::$request {
                            call: Some(pb::Call { name: name.to_owned(), ..pb::Call::default() }),
                            $($request_field: given.take(stringify!($request_field))?,)*
                        };
                        given.finish(&[$(stringify!($request_field)),*])?;
                        return Ok(RpcRequest::$variant(request));
                    }
                )*)*
                $($(
                    if text::names_kind(stringify!($kind), kind) && text::names_operation($create_operation, operation) {
                        #[allow(unused_mut, reason = "an rpc without fields takes none")]
                        let mut given = text::TextFields::new($create_operation, fields)?;
                        let request = pb::$create_request {
                            call: Some(pb::Call { name: name.to_owned(), ..pb::Call::default() }),
                            $($create_field: given.take(stringify!($create_field))?,)*
                        };
                        given.finish(&[$(stringify!($create_field)),*])?;
                        return Ok(RpcRequest::$create_variant(request));
                    }
                )?)*
                Err(ConvertError::invalid(
                    "call",
                    format!("{kind} {operation} is not an operation of the API; see `coterie call --help` for the list"),
                ))
            }

            /// Every structure rpc as a command line names it: (kind, operation, its request
            /// fields, its mode), in the rpc list's order.
            pub fn vocabulary() -> Vec<(&'static str, &'static str, &'static [&'static str], RpcMode)> {
                vec![$($(
                    (stringify!($kind), $operation, &[$(stringify!($request_field)),*], rpc_mode!($mode)),
                )*)*
                $($(
                    (stringify!($kind), $create_operation, &[$(stringify!($create_field)),*], RpcMode::Mutation),
                )?)*]
            }

            /// The request's `Call` header; session requests have none.
            pub(super) fn call_mut(&mut self) -> Option<&mut Option<pb::Call>> {
                match self {
                    $($(RpcRequest::$variant(request) => Some(&mut request.call),)*)*
                    $($(RpcRequest::$create_variant(request) => Some(&mut request.call),)?)*
                    $(RpcRequest::$session_variant(_) => None,)*
                }
            }
        }

        impl RpcResponse {
            /// The group output this response was built from (the reverse of
            /// [`RpcRequest::respond`]), or why the response cannot be one (a field out of
            /// range).
            pub fn into_output(self) -> Result<GroupOutput, ConvertError> {
                match self {
                    $($(RpcResponse::$variant(response) => response.into_output(),)*)*
                    $($(RpcResponse::$create_variant(response) => response.into_output(),)?)*
                    $(RpcResponse::$session_variant(response) => response.into_output(),)*
                }
            }
        }
    };
}

/// The response message `pb::$response` with each field encoded from the variable of its
/// name (bound by the output's pattern, or to the table's fixed value).
macro_rules! encode_response {
    ($response:ident, { $($field:ident : $conv:ident),* }) => {
        pb::$response { $($field: <$conv as Field<_, _>>::encode(&$field)),* }
    };
}

/// Binds every field of the response message `$message` to its decoded core value, under
/// the field's name.
macro_rules! decode_response {
    ($message:ident, $response:ident, $operation:literal, { $($field:ident : $conv:ident),* }) => {
        let pb::$response { $($field),* } = $message;
        $(
            let $field = <$conv as Field<_, _>>::decode($field, $operation, stringify!($field))?;
        )*
    };
}

/// Whether the decoded fields have the values an output's `where` fixes (no `where`: any).
macro_rules! output_matches {
    () => {
        true
    };
    ($($field:ident = $value:literal),+) => {
        $($field == $value)&&+
    };
}

/// The [`RpcMode`] of a mode in the rpc list.
macro_rules! rpc_mode {
    (read) => {
        RpcMode::Read
    };
    (mutation) => {
        RpcMode::Mutation
    };
    (session) => {
        RpcMode::Session
    };
    (blocking) => {
        RpcMode::Blocking
    };
}

/// How a client must make an rpc's call (the rpc list's mode for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcMode {
    /// A read: no session, no sequence number.
    Read,
    /// A change: in a session, with a sequence number, applied once.
    Mutation,
    /// It depends on, or changes, what the caller's session holds (locks, permits), or it is
    /// a session rpc.
    Session,
    /// It may park in the group until granted or timed out.
    Blocking,
}

crate::for_each_rpc!(generate);

impl RpcRequest {
    /// Asks for a stale read (see `Call.stale_read`): the receiving member answers from its
    /// applied state without a leadership check. Refused for session rpcs and for calls
    /// with a sequence number; the server refuses it for writes.
    pub fn into_stale_read(self) -> Result<RpcRequest, ConvertError> {
        self.with_flag(
            |call| call.seq == 0,
            |call| call.stale_read = true,
            "only structure reads without a sequence number can be stale reads",
        )
    }

    /// Asks that the call stay parked when an attempt ends (see `Call.keep_parked`):
    /// answered `still_waiting` instead of cancelled, so it keeps its place. Refused for
    /// session rpcs and for calls without a sequence number.
    pub fn into_keep_parked(self) -> Result<RpcRequest, ConvertError> {
        self.with_flag(
            |call| call.seq != 0,
            |call| call.keep_parked = true,
            "only structure calls with a sequence number can keep their place when parked",
        )
    }

    /// Addresses the request to the sharded structure of its name, split into `shards`
    /// shards (see `ShardedTarget`), instead of a CP group: what a client sends for a
    /// Counter, Map, Set or Queue. The name must not carry a `@group` suffix ([`to_request`]
    /// already refuses `@`), and the call must not carry a session: sharded structures have
    /// none. `shards` 0 is refused, since the wire reads it as the default (100).
    ///
    /// [`to_request`]: super::to_request
    pub fn into_sharded(self, shards: u32) -> Result<RpcRequest, ConvertError> {
        if shards == 0 {
            return Err(ConvertError::invalid(
                self.operation(),
                "a sharded structure has at least one shard; give 1 or more (100 is the default)",
            ));
        }
        self.with_flag(
            |call| call.session_id == 0,
            |call| call.target = Some(pb::call::Target::Sharded(pb::ShardedTarget { shards })),
            "only structure calls without a session can go to a sharded structure (it has no sessions)",
        )
    }

    /// Asks for `consistency` (see `Call.consistency`). A session rpc has no header and takes
    /// only [`Consistency::Default`]: sessions live in CP groups, which commit on a majority.
    pub fn with_consistency(mut self, consistency: Consistency) -> Result<RpcRequest, ConvertError> {
        if consistency == Consistency::Default {
            return Ok(self);
        }
        let (level, at_least) = consistency_to_wire(consistency);
        let operation = self.operation();
        match self.call_mut().and_then(Option::as_mut) {
            Some(call) => {
                call.consistency = level;
                call.at_least = at_least;
            }
            None => {
                return Err(ConvertError::invalid(
                    operation,
                    format!("session rpcs have no consistency level to set (asked for {consistency})"),
                ));
            }
        }
        Ok(self)
    }

    /// Sets a header flag with `set` if the request has a header that `allowed` accepts;
    /// refuses it with `refusal` otherwise (session requests have none).
    fn with_flag(
        mut self,
        allowed: impl Fn(&pb::Call) -> bool,
        set: impl Fn(&mut pb::Call),
        refusal: &'static str,
    ) -> Result<RpcRequest, ConvertError> {
        let operation = self.operation();
        match self.call_mut().and_then(Option::as_mut) {
            Some(call) if allowed(call) => set(call),
            _ => return Err(ConvertError::invalid(operation, refusal)),
        }
        Ok(self)
    }

    /// Puts `call` in a structure request's header; session requests have none.
    pub(super) fn set_call(&mut self, call: pb::Call) {
        if let Some(slot) = self.call_mut() {
            *slot = Some(call);
        }
    }
}
