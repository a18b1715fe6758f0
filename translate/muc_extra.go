package translate

// Names the core needs to fill DiscoResult and read MUCOwner forms for the
// rooms it hosts; the XMPP side puts them on the wire as given.

// Disco identity of a MUC service and of a room (XEP-0045 §6.2, §6.4;
// XEP-0030 category registry).
const (
	DiscoCategoryConference = "conference"
	DiscoTypeText           = "text"
)

// Disco features of a MUC service and its rooms (XEP-0045 §16.3), and of
// the protocols a room speaks besides.
const (
	FeatureDiscoInfo     = "http://jabber.org/protocol/disco#info"  // XEP-0030
	FeatureDiscoItems    = "http://jabber.org/protocol/disco#items" // XEP-0030
	FeatureMUC           = "http://jabber.org/protocol/muc"
	FeatureMUCStableID   = "http://jabber.org/protocol/muc#stable_id"
	FeatureDirectInvite  = "jabber:x:conference" // XEP-0249 §3
	FeatureHidden        = "muc_hidden"
	FeatureMembersOnly   = "muc_membersonly"
	FeatureModerated     = "muc_moderated"
	FeatureNonAnonymous  = "muc_nonanonymous"
	FeatureOpen          = "muc_open"
	FeaturePasswordProt  = "muc_passwordprotected"
	FeaturePersistent    = "muc_persistent"
	FeaturePublic        = "muc_public"
	FeatureSemiAnonymous = "muc_semianonymous"
	FeatureTemporary     = "muc_temporary"
	FeatureUnmoderated   = "muc_unmoderated"
	FeatureUnsecured     = "muc_unsecured"
)

// Form types (XEP-0045 §16.5): DiscoForm.FormType for room information
// (§6.4); the configuration form MUCOwner submits.
const (
	FormTypeRoomInfo   = "http://jabber.org/protocol/muc#roominfo"
	FormTypeRoomConfig = "http://jabber.org/protocol/muc#roomconfig"
)

// Fields of the muc#roominfo form (XEP-0045 §16.5.4).
const (
	RoomInfoDescription = "muc#roominfo_description"
	RoomInfoSubject     = "muc#roominfo_subject"
	RoomInfoOccupants   = "muc#roominfo_occupants"
	RoomInfoLang        = "muc#roominfo_lang"
	RoomInfoContactJID  = "muc#roominfo_contactjid"
)

// Fields of the muc#roomconfig form (XEP-0045 §16.5.3): keys of
// MUCOwner.Fields and of the values the core returns for a get. Booleans
// are "0"/"1" (or "false"/"true", XEP-0004 §3.3).
const (
	RoomConfigName            = "muc#roomconfig_roomname"
	RoomConfigDescription     = "muc#roomconfig_roomdesc"
	RoomConfigLang            = "muc#roomconfig_lang"
	RoomConfigPersistent      = "muc#roomconfig_persistentroom"
	RoomConfigPublic          = "muc#roomconfig_publicroom"
	RoomConfigMembersOnly     = "muc#roomconfig_membersonly"
	RoomConfigModerated       = "muc#roomconfig_moderatedroom"
	RoomConfigPasswordProt    = "muc#roomconfig_passwordprotectedroom"
	RoomConfigSecret          = "muc#roomconfig_roomsecret"
	RoomConfigWhois           = "muc#roomconfig_whois"
	RoomConfigMaxUsers        = "muc#roomconfig_maxusers"
	RoomConfigChangeSubject   = "muc#roomconfig_changesubject"
	RoomConfigAllowInvites    = "muc#roomconfig_allowinvites"
	RoomConfigAllowPM         = "muc#roomconfig_allowpm"
	RoomConfigEnableLogging   = "muc#roomconfig_enablelogging"
	RoomConfigMaxHistoryFetch = "muc#maxhistoryfetch"
)

// DiscoNodeRoomUserItem is the disco#info node a user queries on a room
// to learn its reserved nickname (XEP-0045 §7.12).
const DiscoNodeRoomUserItem = "x-roomuser-item"
